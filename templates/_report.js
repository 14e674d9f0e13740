// The HTML report's only script (included by report.html.j2 under the page's CSP nonce).
// It never builds markup from strings: text goes in through textContent, so metadata stays
// text. Filter and sort toggle `hidden` on / reorder the server-rendered rows.
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";
  var D = JSON.parse(document.getElementById("data").textContent);
  var rows = D.rows, N = rows.length;
  var tbody = document.getElementById("inv-body");
  var trs = Array.prototype.slice.call(tbody.rows);
  var filter = document.getElementById("filter");
  var kindFilter = document.getElementById("kind-filter");
  var count = document.getElementById("inv-count");
  document.getElementById("inv-controls").hidden = false;

  // --- filter, and a page of rows -----------------------------------------------------
  // Laying out 10,000 rows takes seconds, so with the script on only the first PAGE
  // matches are shown ("Show more" / "Show all" add the rest); without it, every row is.
  var PAGE = 500, limit = PAGE, order = [], hay = null;
  for (var n = 0; n < N; n++) { order.push(n); }
  var more = document.getElementById("inv-more"), all = document.getElementById("inv-all");
  function applyFilter() {
    var text = filter.value.trim().toLowerCase(), kind = kindFilter.value;
    if (text !== "" && hay === null) {
      hay = rows.map(function (r) { return r.join("\u0001").toLowerCase(); });
    }
    var matched = 0, shown = 0;
    for (var k = 0; k < N; k++) {
      var i = order[k];
      var ok = (kind === "" || rows[i][2] === kind) && (text === "" || hay[i].indexOf(text) !== -1);
      if (ok) { matched++; }
      var show = ok && matched <= limit;
      if (trs[i].hidden === show) { trs[i].hidden = !show; }
      if (show) { shown++; }
    }
    count.textContent = matched + " of " + N + " components match" +
      (shown < matched ? "; showing the first " + shown : "");
    more.hidden = all.hidden = shown >= matched;
  }
  function refilter() { limit = PAGE; applyFilter(); }
  filter.addEventListener("input", refilter);
  kindFilter.addEventListener("change", refilter);
  more.addEventListener("click", function () { limit += 4 * PAGE; applyFilter(); });
  all.addEventListener("click", function () { limit = N; applyFilter(); });
  applyFilter();
  // A link to a row (findings, lineage) shows that row even when it is past the page.
  document.addEventListener("click", function (e) {
    var a = e.target.closest("a[href^='#c-']");
    if (a) { trs[+a.getAttribute("href").slice(3)].hidden = false; }
  });

  // --- sort ---------------------------------------------------------------------------
  var collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });
  var headers = Array.prototype.slice.call(document.querySelectorAll("#inv thead th"));
  var sortCol = -1, sortDir = 1;
  function sortBy(col) {
    sortDir = col === sortCol ? -sortDir : 1;
    sortCol = col;
    order.sort(function (a, b) {
      return sortDir * collator.compare(rows[a][col], rows[b][col]) || a - b;
    });
    var frag = document.createDocumentFragment();
    order.forEach(function (i) { frag.appendChild(trs[i]); });
    tbody.appendChild(frag);
    headers.forEach(function (th, j) {
      th.setAttribute("aria-sort", j === col ? (sortDir > 0 ? "ascending" : "descending") : "none");
    });
    applyFilter();
  }
  headers.forEach(function (th) {
    var button = th.querySelector("button");
    button.addEventListener("click", function () { sortBy(+button.getAttribute("data-col")); });
  });

  // --- graph view ---------------------------------------------------------------------
  var out = null, inn = null;
  function adjacency() {
    out = []; inn = [];
    var total = N + D.extra.length;
    for (var i = 0; i < total; i++) { out.push([]); inn.push([]); }
    D.edges.forEach(function (e) { out[e[0]].push(e); inn[e[1]].push(e); });
  }
  function label(i) {
    if (i >= N) { return D.extra[i - N]; }
    return rows[i][0] + (rows[i][1] ? " " + rows[i][1] : "");
  }
  function short(text) { return text.length > 34 ? text.slice(0, 33) + "…" : text; }
  function el(name, attrs, parent) {
    var node = document.createElementNS(SVG, name);
    Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (parent) { parent.appendChild(node); }
    return node;
  }
  var svg = document.getElementById("graph-svg");
  var title = document.getElementById("graph-title");
  var selected = null;

  function box(x, y, text, kind, target) {
    var g = el("g", { "class": "node " + kind, transform: "translate(" + x + "," + y + ")" }, svg);
    el("rect", { width: 250, height: 26, rx: 4 }, g);
    var t = el("text", { x: 6, y: 17 }, g);
    t.textContent = short(text);
    var tip = el("title", {}, g);
    tip.textContent = text;
    if (target !== null && target < N) {
      g.setAttribute("tabindex", "0");
      g.setAttribute("role", "button");
      g.setAttribute("aria-label", kind + ": " + text);
      g.setAttribute("data-i", String(target));
      var go = function () { select(target, false); };
      g.addEventListener("click", go);
      g.addEventListener("keydown", function (e) {
        if (e.key === "Enter" || e.key === " ") { e.preventDefault(); go(); }
      });
    }
    return g;
  }
  function column(edges, end, x, kind, cls) {
    var shown = edges.slice(0, 10), placed = [];
    shown.forEach(function (e, k) {
      var y = 50 + k * 34;
      box(x, y, label(e[end]), kind, e[end]);
      placed.push(y + 13);
    });
    if (edges.length > shown.length) {
      var more = el("text", { x: x + 6, y: 50 + shown.length * 34 + 17 }, svg);
      more.textContent = "+" + (edges.length - shown.length) + " more";
    }
    return placed.map(function (y) { return [x, y, cls]; });
  }
  function lineageChain(i) {
    var chain = [], seen = {};
    seen[i] = true;
    var at = i;
    while (chain.length < 8) {
      var next = out[at].filter(function (e) { return e[2] === 1 && !seen[e[1]]; })[0];
      if (!next) { break; }
      chain.push(next[1]);
      seen[next[1]] = true;
      at = next[1];
    }
    return chain;
  }

  function select(i, fromRow) {
    if (out === null) { adjacency(); }
    while (svg.firstChild) { svg.removeChild(svg.firstChild); }
    if (selected !== null) { trs[selected].removeAttribute("aria-selected"); }
    selected = i;
    trs[i].setAttribute("aria-selected", "true");
    var deps = out[i].filter(function (e) { return e[2] === 0; });
    var dependents = inn[i].filter(function (e) { return e[2] === 0; });
    var derivatives = inn[i].filter(function (e) { return e[2] === 1; });
    var cx = 325, cy = 50;
    var lines = column(dependents.concat(derivatives), 0, 10, "dependent", "");
    lines = lines.concat(column(deps, 1, 640, "dependency", ""));
    var middle = [];
    lineageChain(i).forEach(function (b) { middle.push([label(b), "base model", b, "lineage"]); });
    var r = rows[i];
    [["publisher", r[5]], ["repository", r[6]], ["organisation", r[7]], ["country", r[8]]]
      .forEach(function (f) { if (f[1]) { middle.push([f[0] + ": " + f[1], "fact", null, ""]); } });
    var y = cy + 40, prevY = cy + 26;
    middle.forEach(function (m) {
      el("line", { x1: cx + 125, y1: prevY, x2: cx + 125, y2: y, "class": m[3] }, svg);
      box(cx, y, m[0], m[1], m[2]);
      prevY = y + 26;
      y += 34;
    });
    lines.forEach(function (p) {
      var fromX = p[0] < cx ? p[0] + 250 : p[0];
      el("line", { x1: fromX, y1: p[1], x2: p[0] < cx ? cx : cx + 250, y2: cy + 13 }, svg);
    });
    var centre = box(cx, cy, label(i), "centre", null);
    centre.setAttribute("aria-label", "selected: " + r[10]);
    var height = Math.max(y, 50 + 11 * 34, 120);
    svg.setAttribute("height", String(height));
    svg.setAttribute("viewBox", "0 0 900 " + height);
    var heads = [["dependents", 10], ["dependencies", 640], ["selected", cx]];
    heads.forEach(function (h) {
      var t = el("text", { x: h[1], y: 30, "class": "head" }, svg);
      t.textContent = h[0];
    });
    title.textContent = r[10] + ": " + deps.length + " dependencies, " + dependents.length +
      " dependents, " + derivatives.length + " derivatives";
    if (!fromRow) { trs[i].hidden = false; }
    svg.scrollIntoView({ block: "nearest" });
  }

  tbody.addEventListener("click", function (e) {
    if (e.target.closest("a")) { return; }
    var tr = e.target.closest("tr");
    if (tr) { select(+tr.getAttribute("data-i"), true); }
  });
  tbody.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && e.target.tagName === "TR") {
      e.preventDefault();
      select(+e.target.getAttribute("data-i"), true);
    }
  });
})();
