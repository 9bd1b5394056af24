// Custom plotly.js bundle for the scorecard site (built by ./build.sh).
// core already contains: the scatter trace, the errorbars component (error_x / error_y),
// legend, hover (fx), modebar, and the "en" / "en-US" locales.
'use strict';

var Plotly = require('plotly.js/lib/core');

Plotly.register([
    require('plotly.js/lib/bar'), // bar (incl. orientation 'h') + cartesian subplot
    require('plotly.js/lib/scatterpolar'), // radar charts (fill 'toself') + polar subplot
    require('plotly.js/lib/choropleth') // choropleth + geo subplot (needs window.PlotlyGeoAssets)
]);

module.exports = Plotly;
