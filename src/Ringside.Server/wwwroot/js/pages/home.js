// The main menu: the four ways in (arena, trainer, analytics, replays) with the server's live numbers from GET
// /api/stats (fighters, profiles, jobs, matches, replays, top rated profiles) and the jobs training now, every 5 s.
import { $, compact, el, every, getJson, initPage, int, markReady, num, pages, pct, reportError, setLive } from './common.js';

export const REFRESH_MS = 5000;

async function refresh() {
  let stats, running;
  try {
    [stats, running] = await Promise.all([getJson('/api/stats'), getJson('/api/training-jobs?status=running&limit=5')]);
  } catch (error) {
    setLive(false, 'server unreachable');
    throw error;
  }
  pages.state.stats = stats;
  pages.state.refreshes = (pages.state.refreshes ?? 0) + 1;
  setLive(true, 'live');
  const tile = (key, value, label) => el('div', { class: 'tile', dataset: { stat: key } }, el('div', { class: 'value', text: value }), el('div', { class: 'label', text: label }));
  $('#tiles').replaceChildren(
    tile('fighters', int(stats.fighters), 'fighters'),
    tile('profiles', int(stats.profiles), `profiles (${int(stats.trained_profiles)} trained)`),
    tile('jobs_running', int(stats.jobs_running), `jobs running${stats.jobs_queued ? ` · ${int(stats.jobs_queued)} queued` : ''}`),
    tile('matches_played', int(stats.matches_played), `matches played${stats.live_matches ? ` · ${int(stats.live_matches)} live` : ''}`),
    tile('replays', int(stats.replays), 'replays'),
    tile('episodes', compact(stats.episodes), 'episodes recorded'));
  $('[data-stat="arena"]').textContent = stats.live_matches ? `${int(stats.live_matches)} live now · ${int(stats.fighters)} fighters` : `${int(stats.fighters)} fighters ready`;
  $('[data-stat="trainer"]').textContent = stats.jobs_running ? `${int(stats.jobs_running)} training now` : `${int(stats.trained_profiles)} trained profile${stats.trained_profiles === 1 ? '' : 's'}`;
  $('[data-stat="dashboard"]').textContent = `${int(stats.matches_played)} battle${stats.matches_played === 1 ? '' : 's'} played`;
  $('[data-stat="replay"]').textContent = `${int(stats.replays)} replay${stats.replays === 1 ? '' : 's'}`;

  const body = $('#top tbody');
  body.replaceChildren();
  if (stats.top_rated.length === 0) body.append(el('tr', {}, el('td', { colspan: 5, class: 'empty', text: 'No trained profile yet: train one, then let it fight.' })));
  stats.top_rated.forEach((p, i) => body.append(el('tr', { dataset: { profileId: p.id } },
    el('td', { text: i + 1 }),
    el('td', {}, el('b', { text: p.profile_name }), el('span', { class: 'muted', text: ` · ${p.fighter_name}` })),
    el('td', { class: 'num', text: num(p.rating, 2) }), el('td', { class: 'num', text: int(p.rated_matches) }), el('td', { class: 'num', text: pct(p.win_rate, 0) }))));

  $('#running').hidden = running.length === 0;
  $('#running-jobs tbody').replaceChildren(...running.map(j => el('tr', { dataset: { jobId: j.id } },
    el('td', {}, el('b', { text: j.profile_name }), el('span', { class: 'muted', text: ` job ${j.id}` })),
    el('td', { style: 'width: 40%' }, el('div', { class: 'progress small' }, el('div', { style: `width: ${Math.min(100, j.progress ?? 0)}%` }))),
    el('td', { class: 'num', text: `${(j.progress ?? 0).toFixed(0)}%` }),
    el('td', {}, el('a', { class: 'button small', href: `/trainer.html?job=${j.id}&spectate=1`, text: 'Watch' })))));
  $('#updated').textContent = `updated ${new Date().toLocaleTimeString()}`;
}

initPage('home');
every(REFRESH_MS, async () => {
  await refresh();
  if (!pages.ready) markReady();
});
