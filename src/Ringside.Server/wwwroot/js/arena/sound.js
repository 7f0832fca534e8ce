// Sound, synthesised with WebAudio (no audio files): punches, whooshes, the bell and the crowd. The context is
// created on the first user gesture (browsers refuse to start audio before one) and everything is optional.
export class Sound {
  constructor() {
    this.context = null;
    this.enabled = localStorage.getItem('ringside.sound') !== 'off';
    this._noise = null;
  }

  /** Call from a click or key handler. */
  unlock() {
    if (this.context || !this.enabled) return;
    const Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return;
    this.context = new Context();
    this.master = this.context.createGain();
    this.master.gain.value = 0.5;
    this.master.connect(this.context.destination);
    const length = this.context.sampleRate;
    this._noise = this.context.createBuffer(1, length, this.context.sampleRate);
    const data = this._noise.getChannelData(0);
    for (let i = 0; i < length; i++) data[i] = Math.random() * 2 - 1;
  }

  toggle() {
    this.enabled = !this.enabled;
    localStorage.setItem('ringside.sound', this.enabled ? 'on' : 'off');
    if (this.enabled) this.unlock();
    else if (this.context) { this.context.close(); this.context = null; }
    return this.enabled;
  }

  get _ready() { return this.enabled && this.context && this.context.state !== 'closed'; }

  _noiseBurst({ duration, filter = 'bandpass', frequency = 1000, q = 1, gain = 0.5, attack = 0.005, when = 0 }) {
    const c = this.context, t = c.currentTime + when;
    const source = c.createBufferSource();
    source.buffer = this._noise;
    const f = c.createBiquadFilter();
    f.type = filter;
    f.frequency.value = frequency;
    f.Q.value = q;
    const g = c.createGain();
    g.gain.setValueAtTime(0, t);
    g.gain.linearRampToValueAtTime(gain, t + attack);
    g.gain.exponentialRampToValueAtTime(0.001, t + duration);
    source.connect(f).connect(g).connect(this.master);
    source.start(t, Math.random() * 0.5, duration + 0.05);
    return f;
  }

  _tone({ frequency, duration, type = 'sine', gain = 0.3, slideTo, when = 0 }) {
    const c = this.context, t = c.currentTime + when;
    const o = c.createOscillator();
    o.type = type;
    o.frequency.setValueAtTime(frequency, t);
    if (slideTo) o.frequency.exponentialRampToValueAtTime(slideTo, t + duration);
    const g = c.createGain();
    g.gain.setValueAtTime(gain, t);
    g.gain.exponentialRampToValueAtTime(0.001, t + duration);
    o.connect(g).connect(this.master);
    o.start(t);
    o.stop(t + duration + 0.05);
  }

  whoosh() {
    if (!this._ready) return;
    const f = this._noiseBurst({ duration: 0.16, frequency: 900, q: 0.8, gain: 0.12, attack: 0.04 });
    f.frequency.exponentialRampToValueAtTime(2600, this.context.currentTime + 0.15);
  }

  punch(strength = 1) {
    if (!this._ready) return;
    this._tone({ frequency: 140, slideTo: 50, duration: 0.16, gain: 0.5 * strength });
    this._noiseBurst({ duration: 0.09, filter: 'lowpass', frequency: 1800, gain: 0.45 * strength });
  }

  thud() {
    if (!this._ready) return;
    this._tone({ frequency: 80, slideTo: 35, duration: 0.45, gain: 0.7 });
    this._noiseBurst({ duration: 0.3, filter: 'lowpass', frequency: 500, gain: 0.5 });
  }

  bell(times = 1) {
    if (!this._ready) return;
    for (let i = 0; i < times; i++) {
      for (const [ratio, gain] of [[1, 0.25], [2.76, 0.12], [5.4, 0.06]]) {
        this._tone({ frequency: 830 * ratio, duration: 1.2, gain, when: i * 0.35 });
      }
    }
  }

  /** The crowd: a swell of filtered noise, louder for bigger moments. */
  cheer(amount = 1) {
    if (!this._ready) return;
    this._noiseBurst({ duration: 0.6 + amount * 1.2, frequency: 1100, q: 0.4, gain: 0.08 + 0.12 * Math.min(1, amount), attack: 0.15 });
  }
}
