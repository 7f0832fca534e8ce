// The DOM helpers every page and the arena share.

/**
 * el('div', {class: 'x', text: 'y', dataset: {...}, onclick: f, ...attributes}, ...children); a string in place of the
 * props is the class: el('span', 'name', 'Ada') is <span class="name">Ada</span>.
 */
export function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  if (typeof props === 'string') props = { class: props };
  for (const [k, v] of Object.entries(props ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else if (k === 'style') e.style.cssText = v;
    else if (k.startsWith('on') && typeof v === 'function') e.addEventListener(k.slice(2), v);
    else if (k in e && typeof v !== 'string') e[k] = v;
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) e.append(c instanceof Node ? c : String(c));
  return e;
}

export const $ = (selector, root = document) => root.querySelector(selector);
