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
  document.getElementById("graph-controls").hidden = false;
  document.getElementById("print-choice").hidden = false;

  // --- print the summary only: the appendix is left out of print, not off the screen ----
  var summaryOnly = document.getElementById("summary-only");
  summaryOnly.addEventListener("change", function () {
    document.body.classList.toggle("summary-only", summaryOnly.checked);
  });

  // --- copy: an abbreviated purl (code.purl, its title the full value) copies in full ---
  document.addEventListener("copy", function (e) {
    var sel = window.getSelection();
    if (!sel || sel.rangeCount === 0 || sel.isCollapsed || !e.clipboardData) { return; }
    var range = sel.getRangeAt(0);
    var at = range.commonAncestorContainer;
    var inside = (at.nodeType === 1 ? at : at.parentElement).closest("code.purl[title]");
    if (inside) {
      e.clipboardData.setData("text/plain", inside.getAttribute("title"));
      e.preventDefault();
      return;
    }
    var frag = range.cloneContents();
    var cut = frag.querySelectorAll("code.purl[title]");
    if (cut.length === 0) { return; }
    Array.prototype.forEach.call(cut, function (n) { n.textContent = n.getAttribute("title"); });
    e.clipboardData.setData("text/plain", frag.textContent);
    e.preventDefault();
  });

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
    if (i >= N) { return D.extra[i - N].replace(/^pkg:huggingface\//, ""); }
    var version = rows[i][1].length > 14 ? rows[i][1].slice(0, 7) + "…" : rows[i][1];
    return rows[i][0] + (version ? " " + version : "");
  }
  // Cut in the middle: the ends of a model id (its organisation, its variant) tell it apart.
  function short(text) {
    return text.length > 36 ? text.slice(0, 22) + "…" + text.slice(text.length - 13) : text;
  }
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
  // Every model a component derives from, through every lineage edge (a merge has two
  // bases; a model can name its base and its base's root), nearest first.
  function ancestors(i) {
    var found = [], seen = {}, queue = [i];
    seen[i] = true;
    while (queue.length && found.length < 12) {
      var at = queue.shift();
      out[at].forEach(function (e) {
        if (e[2] === 1 && !seen[e[1]]) { seen[e[1]] = true; found.push(e[1]); queue.push(e[1]); }
      });
    }
    return found;
  }
  function clear() { while (svg.firstChild) { svg.removeChild(svg.firstChild); } }

  // The lineage of the most important models (D.focus), drawn when the page opens: each
  // model, then every base it derives from to the right, one row per branch.
  var W = 250, GAP = 36, ROW = 34;
  function drawLineage(starts) {
    if (out === null && starts.length) { adjacency(); }
    clear();
    if (selected !== null) { trs[selected].removeAttribute("aria-selected"); selected = null; }
    var y = 40, depthMax = 0, drawn = 0;
    function visit(i, depth, seen, kind) {
      var x = 10 + depth * (W + GAP), rowY = y;
      depthMax = Math.max(depthMax, depth);
      drawn++;
      var bases = depth < 8 ? out[i].filter(function (e) { return e[2] === 1 && !seen[e[1]]; }) : [];
      var text = label(i);
      if (!bases.length && depth > 0) { text += " (root)"; }
      box(x, rowY, text, bases.length || depth === 0 ? kind : "root", i);
      bases.forEach(function (e, k) {
        if (k > 0) { y += ROW; }
        if (drawn > 80) { return; }
        el("line", { x1: x + W, y1: rowY + 13, x2: x + W + GAP, y2: y + 13, "class": "lineage" }, svg);
        var next = Object.create(seen);
        next[e[1]] = true;
        visit(e[1], depth + 1, next, "base");
      });
    }
    starts.forEach(function (i) {
      var seen = {};
      seen[i] = true;
      visit(i, 0, seen, "centre");
      y += ROW + 12;
    });
    var width = Math.max(900, 20 + (depthMax + 1) * (W + GAP));
    svg.setAttribute("width", String(width));
    svg.setAttribute("height", String(y));
    svg.setAttribute("viewBox", "0 0 " + width + " " + y);
    var head = el("text", { x: 10, y: 24, "class": "head" }, svg);
    head.textContent = starts.length ? "model → the models it derives from → lineage roots" :
      "No model in this scan derives from another.";
    title.textContent = starts.length
      ? "Lineage of the " + starts.length + " most important model" + (starts.length > 1 ? "s" : "") +
        ": " + starts.map(function (i) { return rows[i][0]; }).join(", ") +
        ". Select a component in the inventory to see its neighbourhood."
      : title.textContent;
  }

  function select(i, fromRow) {
    if (out === null) { adjacency(); }
    clear();
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
    ancestors(i).forEach(function (b) { middle.push([label(b), "base model", b, "lineage"]); });
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
    svg.setAttribute("width", "900");
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
  document.getElementById("graph-models").addEventListener("click", function () {
    drawLineage(D.focus);
  });
  drawLineage(D.focus);

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
