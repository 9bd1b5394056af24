/* AI Sovereignty Scorecard: charts, sortable and filterable tables, "your weights" and
 * "compare". Progressive enhancement: every page is readable without this file.
 * Data comes from <script type="application/json"> islands in the page; contributor text
 * is only ever inserted with textContent. No network requests. */
(function () {
  "use strict";

  var PLOT_CONFIG = { displayModeBar: false, responsive: true, displaylogo: false };

  function readJSON(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  /* ---- the scorecard's formula (scorecard/compute.py), kept operation for operation ---- */

  /* A mean kept inside its inputs' range, which rounding can step out of. */
  function within(mean, scores) {
    return Math.min(Math.max(mean, Math.min.apply(null, scores)), Math.max.apply(null, scores));
  }

  function composite(pillarScores, weights, aggregation, floor) {
    var total = 0, i;
    for (i = 0; i < weights.length; i++) total += weights[i];
    if (!(total > 0)) return null;
    for (i = 0; i < pillarScores.length; i++) if (pillarScores[i] === null) return null;
    if (aggregation === "geometric") {
      var floored = pillarScores.map(function (s) { return Math.max(s, floor); });
      var product = 1.0;
      for (i = 0; i < floored.length; i++) product *= Math.pow(floored[i], weights[i] / total);
      return within(product, floored);
    }
    var sum = 0;
    for (i = 0; i < pillarScores.length; i++) sum += pillarScores[i] * weights[i];
    return within(sum / total, pillarScores);
  }

  function roundTo(value, decimals) {
    var factor = Math.pow(10, decimals);
    return Math.round(value * factor) / factor;
  }

  /* Competition ranks, 1 = best; equal scores (to `decimals`) share the best rank. */
  function competitionRanks(values, decimals) {
    var keyed = values.map(function (v) { return v === null ? null : roundTo(v, decimals); });
    var ordered = keyed.filter(function (v) { return v !== null; }).sort(function (a, b) { return b - a; });
    return keyed.map(function (v) {
      return v === null ? null : ordered.indexOf(v) + 1;
    });
  }

  function scoreAll(data, weights, aggregation) {
    var composites = data.countries.map(function (c) {
      return composite(c.pillars, weights, aggregation, data.geometric_floor);
    });
    return { composites: composites, ranks: competitionRanks(composites, data.tie_decimals) };
  }

  window.Scorecard = { composite: composite, competitionRanks: competitionRanks, scoreAll: scoreAll };

  /* ---- charts ---- */

  /* Run the chart scripts the page preloads (plotly, the world map), in order, after the
     first paint: text and tables show before any chart script runs. A script that fails
     to load leaves the page as it is without JavaScript. */
  function loadChartScripts() {
    var links = document.querySelectorAll("link[data-chart-script]");
    if (!links.length) return Promise.resolve();
    var painted = new Promise(function (resolve) {
      window.requestAnimationFrame(function () { window.setTimeout(resolve, 0); });
    });
    return Array.prototype.reduce.call(links, function (ready, link) {
      return ready.then(function () {
        return new Promise(function (resolve) {
          var script = document.createElement("script");
          script.src = link.href;
          script.onload = script.onerror = resolve;
          document.head.appendChild(script);
        });
      });
    }, painted);
  }

  /* Draw every chart of the page; resolves when all are drawn (at once without plotly). */
  function drawCharts() {
    if (!window.Plotly) return Promise.resolve(false);
    var areas = document.querySelectorAll("[data-figure]");
    return Promise.all(Array.prototype.map.call(areas, function (area) {
      var figure = readJSON(area.getAttribute("data-figure"));
      if (!figure) return null;
      fitToWidth(figure, area.clientWidth);
      return window.Plotly.newPlot(area, figure.data, figure.layout, PLOT_CONFIG).then(function () {
        area.setAttribute("data-drawn", "true");
      });
    })).then(function () { return true; });
  }

  /* On a narrow screen a world map is short and its colour bar lies under it. */
  function fitToWidth(figure, width) {
    var first = figure.data[0] || {};
    if (first.type !== "choropleth" || !(width > 0) || width >= 640) return;
    figure.layout.height = Math.max(220, Math.round(width * 0.62));
    first.colorbar = Object.assign({}, first.colorbar, {
      orientation: "h", x: 0.5, xanchor: "center", y: -0.02, yanchor: "top",
      thickness: 10, len: 0.8
    });
    figure.layout.margin = Object.assign({}, figure.layout.margin, { b: 56 });
  }

  /* plotly reads a little HTML in text: escape contributor text as the build does. */
  function plotlyText(s) {
    return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }

  /* ---- sortable, filterable tables ---- */

  function cellValue(row, index, kind) {
    var cell = row.children[index];
    var raw = cell ? cell.getAttribute("data-value") : "";
    if (raw === null) raw = cell.textContent;
    if (kind === "number") return raw === "" ? null : parseFloat(raw);
    return raw;
  }

  function sortTable(table, index, kind, direction) {
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = cellValue(a, index, kind), y = cellValue(b, index, kind);
      if (x === null && y === null) return 0;
      if (x === null) return 1;   /* missing values always last */
      if (y === null) return -1;
      var order = kind === "number" ? x - y : String(x).localeCompare(String(y));
      return direction === "ascending" ? order : -order;
    });
    rows.forEach(function (row) { body.appendChild(row); });
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, i) {
      if (i === index) th.setAttribute("aria-sort", direction);
      else if (th.hasAttribute("data-sort")) th.removeAttribute("aria-sort");
    });
  }

  function makeSortable(table) {
    var headers = table.tHead ? table.tHead.rows[0].cells : [];
    Array.prototype.forEach.call(headers, function (th, index) {
      var kind = th.getAttribute("data-sort");
      if (!kind) return;
      var button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      while (th.firstChild) button.appendChild(th.firstChild);
      th.appendChild(button);
      button.addEventListener("click", function () {
        var current = th.getAttribute("aria-sort");
        /* Numbers where bigger is better sort high-to-low first; ranks and names low-to-high. */
        var firstDirection = kind === "number" && index > 0 && !th.hasAttribute("data-sort-ascending-first") ? "descending" : "ascending";
        var next = current ? (current === "ascending" ? "descending" : "ascending") : firstDirection;
        sortTable(table, index, kind, next);
      });
    });
  }

  function setUpFilter(select) {
    var id = select.getAttribute("data-filter-region");
    var table = document.getElementById(id);
    var tools = document.querySelector('[data-table-tools="' + id + '"]');
    var count = document.querySelector('[data-filter-count="' + id + '"]');
    if (!table) return;
    if (tools) tools.hidden = false;
    function apply() {
      var region = select.value, shown = 0, total = 0;
      Array.prototype.forEach.call(table.tBodies[0].rows, function (row) {
        var visible = !region || row.getAttribute("data-region") === region;
        row.hidden = !visible;
        total++;
        if (visible) shown++;
      });
      if (count) count.textContent = shown + " / " + total;
    }
    select.addEventListener("change", apply);
    apply();
  }

  /* ---- URL state ---- */

  function params() {
    return new URLSearchParams(window.location.search);
  }

  function replaceQuery(query) {
    var url = window.location.pathname + (query ? "?" + query : "") + window.location.hash;
    try { window.history.replaceState(null, "", url); } catch (e) { /* file:// may refuse */ }
  }

  /* ---- "Your weights" ---- */

  function setUpWeights(form, chartsReady) {
    var data = readJSON("scorecard-data");
    if (!data) return;
    form.hidden = false;
    var pillars = data.pillars;
    var defaults = pillars.map(function (p) { return p.weight; });
    var sliders = pillars.map(function (p) { return form.querySelector('[data-weight="' + p.id + '"]'); });
    var shares = pillars.map(function (p) { return form.querySelector('[data-share="' + p.id + '"]'); });
    var status = form.querySelector("[data-weights-status]");
    var table = document.getElementById("ranking");
    var mapArea = document.getElementById("map");
    var rowsByIso = {};
    Array.prototype.forEach.call(table.tBodies[0].rows, function (row) {
      rowsByIso[row.getAttribute("data-iso3")] = row;
    });
    var baseRanks = {};
    data.countries.forEach(function (c) { baseRanks[c.iso3] = c.rank; });

    var query = params();
    var fromUrl = (query.get("w") || "").split(",").map(Number);
    if (fromUrl.length === pillars.length && fromUrl.every(function (w) { return isFinite(w) && w >= 0; })) {
      fromUrl.forEach(function (w, i) { sliders[i].value = String(w); });
    }
    var agg = query.get("agg");
    if (agg === "arithmetic" || agg === "geometric") {
      form.querySelector('input[name="aggregation"][value="' + agg + '"]').checked = true;
    }

    function currentWeights() { return sliders.map(function (s) { return parseFloat(s.value); }); }
    function currentAggregation() { return form.querySelector('input[name="aggregation"]:checked').value; }

    function update() {
      var weights = currentWeights();
      var aggregation = currentAggregation();
      var total = weights.reduce(function (a, b) { return a + b; }, 0);
      weights.forEach(function (w, i) {
        shares[i].textContent = total > 0 ? Math.round(100 * w / total) + "%" : "—";
      });
      var result = scoreAll(data, weights, aggregation);
      var locations = [], z = [], names = [], ranks = [];
      data.countries.forEach(function (c, i) {
        var row = rowsByIso[c.iso3];
        var value = result.composites[i], rank = result.ranks[i];
        row.cells[0].textContent = rank === null ? "—" : String(rank);
        row.cells[0].setAttribute("data-value", rank === null ? "" : String(rank));
        var base = baseRanks[c.iso3];
        var delta = rank === null || base === null ? null : base - rank;
        row.cells[2].textContent = delta === null ? "—" : delta > 0 ? "↑" + delta : delta < 0 ? "↓" + (-delta) : "=";
        row.cells[2].setAttribute("data-value", delta === null ? "" : String(delta));
        row.className = delta > 0 ? "delta-up" : delta < 0 ? "delta-down" : "";
        row.cells[3].textContent = value === null ? "—" : value.toFixed(1);
        row.cells[3].setAttribute("data-value", value === null ? "" : String(value));
        row.setAttribute("data-composite", value === null ? "" : String(value));
        if (value !== null) {
          locations.push(c.iso3); z.push(Math.round(value * 100) / 100);
          names.push(plotlyText(c.name)); ranks.push([rank]);
        }
      });
      sortTable(table, 0, "number", "ascending");
      var isDefault = aggregation === data.aggregation && weights.every(function (w, i) { return w === defaults[i]; });
      if (status) {
        status.textContent = total > 0 ? (isDefault ? "" : status.getAttribute("data-changed") || "") : "";
      }
      replaceQuery(isDefault ? "" : "w=" + weights.join(",") + "&agg=" + aggregation);
      chartsReady.then(function (drawn) {
        if (drawn && mapArea) {
          window.Plotly.restyle(mapArea, { locations: [locations], z: [z], text: [names], customdata: [ranks] });
        }
      });
    }

    sliders.forEach(function (s) { s.addEventListener("input", update); });
    Array.prototype.forEach.call(form.querySelectorAll('input[name="aggregation"]'), function (r) {
      r.addEventListener("change", update);
    });
    form.querySelector("[data-weights-reset]").addEventListener("click", function () {
      sliders.forEach(function (s, i) { s.value = String(defaults[i]); });
      form.querySelector('input[name="aggregation"][value="' + data.aggregation + '"]').checked = true;
      update();
    });
    update();
  }

  /* ---- Compare ---- */

  function setUpCompare(form) {
    var data = readJSON("scorecard-data");
    var strings = readJSON("compare-strings") || {};
    if (!data) return;
    form.querySelector("[data-compare-fieldset]").disabled = false;
    var byIso = {};
    data.countries.forEach(function (c) { byIso[c.iso3] = c; });
    var selects = Array.prototype.slice.call(form.querySelectorAll("[data-compare-slot]"));
    var status = form.querySelector("[data-compare-status]");
    var radarArea = document.getElementById("compare-radar");

    var requested = (params().get("c") || "").toUpperCase().split(",").filter(function (iso, i, all) {
      return byIso[iso] && all.indexOf(iso) === i;
    }).slice(0, selects.length);
    if (requested.length >= 1) {
      selects.forEach(function (s, i) { s.value = requested[i] || ""; });
    }

    function chosen() {
      var seen = {};
      return selects.map(function (s) { return s.value; }).filter(function (iso) {
        if (!iso || seen[iso]) return false;
        seen[iso] = true;
        return true;
      });
    }

    function cell(tag, text, className) {
      var el = document.createElement(tag);
      if (text !== undefined && text !== null) el.textContent = text;
      if (className) el.className = className;
      return el;
    }

    function renderTable(isos) {
      var table = document.getElementById("compare-table");
      var head = table.tHead.rows[0];
      while (head.cells.length > 1) head.deleteCell(1);
      isos.forEach(function (iso) {
        var th = cell("th", null, "num");  /* over right-aligned numbers */
        th.scope = "col";
        var link = cell("a", byIso[iso].name);
        link.href = "../countries/" + iso + "/index.html";
        th.appendChild(link);
        head.appendChild(th);
      });
      var body = table.tBodies[0];
      while (body.rows.length) body.deleteRow(0);
      function addRow(label, className, values) {
        var tr = cell("tr", null, className);
        var th = cell("th", label);
        th.scope = "row";
        tr.appendChild(th);
        values.forEach(function (v) { tr.appendChild(v); });
        body.appendChild(tr);
      }
      function num(text) { return cell("td", text, "num"); }
      function score(v) { return v === null || v === undefined ? "—" : v.toFixed(1); }
      addRow(strings.rank || "Rank", "row-strong", isos.map(function (iso) {
        return num(byIso[iso].rank === null ? "—" : String(byIso[iso].rank));
      }));
      addRow(strings.composite || "Composite", "row-strong", isos.map(function (iso) {
        return num(score(byIso[iso].composite));
      }));
      data.pillars.forEach(function (p, pi) {
        addRow(p.name, "row-pillar", isos.map(function (iso) { return num(score(byIso[iso].pillars[pi])); }));
        data.indicators.forEach(function (ind, ii) {
          if (ind.pillar !== p.id) return;
          addRow(ind.name, "row-indicator", isos.map(function (iso) {
            var entry = byIso[iso].indicators[ii];
            var td = num(null);
            if (!entry) {
              td.appendChild(cell("span", strings.missing || "missing", "missing-tag"));
            } else {
              td.appendChild(document.createTextNode(score(entry[2]) + " "));
              td.appendChild(cell("span", "(" + entry[0] + ")", "muted"));
            }
            return td;
          }));
        });
      });
    }

    /* The build drew every country on the radar (and in its legend), hidden; the chosen
       ones get a slot, which gives them their place, colour and dash (style.css). */
    function showOnRadar(isos) {
      if (!radarArea) return;
      Array.prototype.forEach.call(radarArea.parentNode.querySelectorAll("[data-key]"), function (el) {
        var slot = isos.indexOf(el.getAttribute("data-key"));
        if (slot < 0) el.removeAttribute("data-slot");
        else el.setAttribute("data-slot", String(slot));
      });
    }

    function update(initial) {
      var isos = chosen();
      if (isos.length < 2) {
        if (status) status.textContent = strings.too_few || "";
        return;
      }
      if (status) status.textContent = (strings.showing || "").replace("{n}", String(isos.length));
      if (!initial) replaceQuery("c=" + isos.join(","));
      renderTable(isos);
      showOnRadar(isos);
    }

    selects.forEach(function (s) { s.addEventListener("change", function () { update(false); }); });
    update(true);
  }

  /* A table wider than its container scrolls; keyboard users must be able to reach it. */
  function markScrollableTables() {
    Array.prototype.forEach.call(document.querySelectorAll(".table-scroll"), function (box) {
      if (box.scrollWidth > box.clientWidth + 1) {
        var caption = box.querySelector("caption");
        box.setAttribute("tabindex", "0");
        box.setAttribute("role", "region");
        box.setAttribute("aria-label", caption ? caption.textContent : "table");
      } else if (box.getAttribute("role") === "region") {
        box.removeAttribute("tabindex");
        box.removeAttribute("role");
        box.removeAttribute("aria-label");
      }
    });
  }

  /* A click on a country of a drawn map opens its page (the table links to it too, for
     keyboards and screen readers). */
  function linkMapAreas() {
    Array.prototype.forEach.call(document.querySelectorAll("svg.world-map"), function (map) {
      map.addEventListener("click", function (event) {
        var area = event.target.closest("[data-href]");
        if (area) window.location.href = area.getAttribute("data-href");
      });
    });
  }

  function init() {
    linkMapAreas();
    markScrollableTables();
    window.addEventListener("resize", markScrollableTables);
    Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), makeSortable);
    Array.prototype.forEach.call(document.querySelectorAll("[data-filter-region]"), setUpFilter);
    var chartsReady = loadChartScripts().then(drawCharts);
    var weights = document.querySelector("[data-weights-form]");
    if (weights) setUpWeights(weights, chartsReady);
    var compare = document.querySelector("[data-compare-form]");
    if (compare) setUpCompare(compare);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
}());
