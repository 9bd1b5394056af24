#!/usr/bin/env node
// Extract the `world_110m` topology from plotly.js/dist/plotly-geo-assets.js and write it as a
// small script that preloads it into window.PlotlyGeoAssets, so that choropleth maps draw without
// fetching https://cdn.plot.ly/un/world_110m.json (offline, and also from file://).
//
// plotly-geo-assets.js is evaluated in a `vm` sandbox with a fake `window`: loading it in the page
// would overwrite window.Plotly.
//
// Usage: node extract-world.js <output.js>
'use strict';

const fs = require('fs');
const path = require('path');
const vm = require('vm');

const out = process.argv[2];
if (!out) {
    console.error('usage: node extract-world.js <output.js>');
    process.exit(2);
}

const pkgDir = path.dirname(require.resolve('plotly.js/package.json'));
const version = require('plotly.js/package.json').version;
const src = fs.readFileSync(path.join(pkgDir, 'dist', 'plotly-geo-assets.js'), 'utf8');

const fakeWindow = {};
const sandbox = { window: fakeWindow, self: fakeWindow };
vm.runInNewContext(src, sandbox, { filename: 'plotly-geo-assets.js', timeout: 60000 });

const assets = fakeWindow.Plotly;
if (!assets || !assets.topojson || !assets.topojson.world_110m) {
    throw new Error('world_110m not found in plotly-geo-assets.js');
}
if (assets.version !== version) {
    throw new Error(`geo assets version ${assets.version} != plotly.js ${version}`);
}
const world = assets.topojson.world_110m;
if (world.type !== 'Topology' || !world.objects || !world.objects.countries) {
    throw new Error('world_110m is not a topology with a countries object');
}
const ids = new Set(world.objects.countries.geometries.map((g) => g.id));
for (const iso3 of ['USA', 'FRA', 'KOR', 'CHN', 'IND', 'BRA']) {
    if (!ids.has(iso3)) throw new Error(`world_110m lacks country ${iso3}`);
}

const banner =
    `/*! world_110m topojson from plotly.js ${version} dist/plotly-geo-assets.js (MIT, Copyright Plotly, Inc.); ` +
    'geodata per plotly.js CHANGELOG 3.1.0 (#7393): United Nations geodata (countries, coastlines, land, ocean) ' +
    '+ Natural Earth, public domain (lakes, rivers, subunits). ' +
    'Built by tools/assets/build.sh — do not edit. */\n';

const body =
    'window.PlotlyGeoAssets = window.PlotlyGeoAssets || {topojson: {}};\n' +
    'window.PlotlyGeoAssets.topojson = window.PlotlyGeoAssets.topojson || {};\n' +
    'window.PlotlyGeoAssets.topojson.world_110m = ' + JSON.stringify(world) + ';\n';

fs.writeFileSync(out, banner + body);
console.error(`extract-world: ${ids.size} countries, ${Buffer.byteLength(banner + body)} bytes -> ${out}`);
