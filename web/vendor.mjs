// Copies the browser modules the web UI imports from npm packages (three.js, Chart.js) into src/Ringside.Server/wwwroot/vendor/,
// following every relative import from the entry files, so the server serves them itself (no CDN, works offline).
// Paths inside a package are kept (vendor/three/build/three.module.js, vendor/three/examples/jsm/...), so the
// modules' own relative imports resolve unchanged. Bare imports between packages ('three' in three's addons,
// '@kurkle/color' in Chart.js) are rewritten to relative paths: the pages have no import map, which would be an inline
// script that the Content-Security-Policy refuses (docs/SERVER.md, Security model).
// Run by scripts/web.sh after `npm ci`.
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, normalize, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = resolve(here, '../src/Ringside.Server/wwwroot/vendor');

const packages = {
  three: [
    'build/three.module.js',
    'examples/jsm/loaders/GLTFLoader.js',
    'examples/jsm/controls/OrbitControls.js',
    'examples/jsm/utils/SkeletonUtils.js',
  ],
  // Chart.js (the trainer's and the dashboard's charts) and its one dependency; the pages' import map names both.
  'chart.js': ['dist/chart.js'],
  '@kurkle/color': ['dist/color.esm.js'],
};

// Static imports and re-exports: `from './x.js'`, `import './x.js'`.
const importPattern = /(?:\bfrom\s*|\bimport\s*)(['"])(\.{1,2}\/[^'"]+)\1/g;
// The bare specifiers the vendored modules use, and the vendored file each stands for.
const bare = { three: 'three/build/three.module.js', '@kurkle/color': '@kurkle/color/dist/color.esm.js' };
const barePattern = /(\bfrom\s*|\bimport\s*)(['"])([^'"./][^'"]*)\2/g;

rmSync(out, { recursive: true, force: true });
let files = 0, bytes = 0;
for (const [name, entries] of Object.entries(packages)) {
  const root = join(here, 'node_modules', name);
  if (!existsSync(root)) throw new Error(`${root} is missing: run npm ci in web/ first.`);
  const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;
  const queue = [...entries], seen = new Set();
  while (queue.length > 0) {
    const file = normalize(queue.pop());
    if (seen.has(file)) continue;
    seen.add(file);
    const source = join(root, file);
    const text = readFileSync(source, 'utf8');
    for (const match of text.matchAll(importPattern)) {
      const target = relative(root, resolve(dirname(source), match[2]));
      if (target.startsWith('..')) throw new Error(`${file} imports ${match[2]}, outside the package.`);
      queue.push(target);
    }
    const destination = join(out, name, file);
    mkdirSync(dirname(destination), { recursive: true });
    const rewritten = text.replace(barePattern, (all, keyword, quote, specifier) => {
      if (!(specifier in bare)) return all;
      const path = relative(dirname(destination), join(out, bare[specifier])).split('\\').join('/');
      return `${keyword}${quote}${path.startsWith('.') ? path : './' + path}${quote}`;
    });
    if (rewritten === text) copyFileSync(source, destination);
    else writeFileSync(destination, rewritten);
    files++;
    bytes += text.length;
  }
  for (const license of ['LICENSE', 'LICENSE.md']) {
    if (existsSync(join(root, license))) copyFileSync(join(root, license), join(out, name, license));
  }
  console.log(`vendored ${name} ${version}: ${[...seen].sort().join(', ')}`);
}
// Tells ./ringside that this package-lock.json and this script have been vendored (node_modules is not committed).
writeFileSync(join(here, 'node_modules', '.vendored'), `${new Date().toISOString()}\n`);
console.log(`web: ${files} modules (${(bytes / 1e6).toFixed(1)} MB) in ${relative(process.cwd(), out) || out}`);
