/// The page's stylesheet and script, written for Brine (no third-party code): a squarified
/// treemap (Bruls, Huizing and van Wijk, 2000) laid out in the browser, so zooming and the
/// metric toggle re-lay it at the window's size.
enum HTMLAssets {
    static let css = #"""
body{font:13px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:0 24px 24px;color:#1d1d1f;background:#f7f7f5}
h1{font-size:18px;margin:16px 0 4px;overflow-wrap:anywhere}h2{font-size:15px;margin:20px 0 6px}
.fact{margin:1px 0;color:#444}.fact:first-of-type{font-weight:600;color:#1d1d1f}
.gauge{height:8px;max-width:420px;background:#e3e1da;border-radius:4px;margin:6px 0 2px;overflow:hidden}
.gauge i{display:block;height:100%;background:#3f9d5a}.gauge.over i{background:#c62828}
#controls{display:flex;justify-content:space-between;align-items:center;gap:12px;flex-wrap:wrap;margin:12px 0 6px;min-height:22px}
#crumbs{overflow-wrap:anywhere}#crumbs button{border:0;background:none;color:#0b5cad;cursor:pointer;padding:0;font:inherit}
#crumbs button:hover{text-decoration:underline}#crumbs .sep{color:#999;margin:0 5px}#crumbs .here{font-weight:600}
#metric label{margin-left:12px;cursor:pointer}
#map{position:relative;height:62vh;min-height:380px;background:#fff;border:1px solid #b9b9b5;overflow:hidden;user-select:none}
.cell{position:absolute;box-sizing:border-box;border:1px solid #fff;overflow:hidden;cursor:pointer}
.cell:hover{box-shadow:inset 0 0 0 2px #111}
.own{position:absolute;box-sizing:border-box;border:1px solid #fff;overflow:hidden;background:repeating-linear-gradient(135deg,#f1efe9 0 6px,#e4e1d8 6px 12px)}
.own .label{color:#777}#legend i.own{position:static;border:1px solid #d6d3ca}
.label{display:block;padding:1px 4px;font-size:11px;line-height:15px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis;color:#111}
.label b{font-weight:600}.label small{color:inherit;opacity:.75;margin-left:4px}
.k-training{background:#d9534f}.k-tensor{background:#7b5ea7}.k-string{background:#4a90c2}.k-array{background:#4caf7a}
.k-overhead{background:#a3a3a3}.k-object{background:#e6d7a8}.k-file{background:#e8b04a}.k-other{background:#d6d6d2}
.parent.k-object{background:#cfc6ad}.parent.k-file{background:#d6a446}
.k-training>.label,.k-tensor>.label{color:#fff}
.d-grow{background:#d7301f}.d-grow2{background:#fc9f87}.d-new{background:#99000d}.d-shrink{background:#238b45}.d-shrink2{background:#a1d99b}
.d-gone{background:#00441b}.d-same{background:#cfcfcb}.d-grow>.label,.d-new>.label,.d-shrink>.label,.d-gone>.label{color:#fff}
#legend{display:flex;flex-wrap:wrap;gap:6px 16px;margin:8px 0 4px;color:#333}
#legend i{display:inline-block;width:12px;height:12px;margin-right:5px;vertical-align:-2px;border-radius:2px}
#tip{position:fixed;max-width:520px;background:#222;color:#f2f2f2;padding:8px 10px;border-radius:4px;font-size:12px;pointer-events:none;z-index:10;box-shadow:0 2px 8px rgba(0,0,0,.3)}
#tip .name{font-weight:600;font-size:13px;overflow-wrap:anywhere}#tip .row{overflow-wrap:anywhere}#tip .dim{color:#bbb}
#tip code{display:block;margin-top:6px;padding:3px 5px;background:#3a3a3a;color:#ffd479;overflow-wrap:anywhere;font-size:11.5px}
table{border-collapse:collapse;width:100%;background:#fff;border:1px solid #ddd}
th,td{border-bottom:1px solid #e3e3e0;padding:4px 8px;text-align:left;vertical-align:top;overflow-wrap:anywhere}
th{background:#efefec;font-weight:600;white-space:nowrap}td:first-child,td:nth-child(2){white-space:nowrap}td code{overflow-wrap:anywhere}#rows td:nth-child(3){min-width:10em}td code{font-size:12px}
tr[data-node]{cursor:pointer}tr[data-node]:hover,tr[data-node]:focus{background:#eef4fb;outline:none}
tr.error td:first-child{color:#b00020;font-weight:600}tr.warning td:first-child{color:#9a5b00;font-weight:600}
tr.grow td:first-child{color:#b3261e}tr.shrink td:first-child{color:#1b7a3a}
.empty{color:#555}.flash{animation:flash .6s ease 3}@keyframes flash{50%{box-shadow:inset 0 0 0 4px #000}}
footer{color:#777;margin-top:18px;font-size:12px}
"""#

    static let script = #"""
(function () {
"use strict";
var data = JSON.parse(document.getElementById("brine-data").textContent);
var root = data.root, metric = 0, diff = data.mode === "diff", view = root, cells = [];
var map = document.getElementById("map"), tip = document.getElementById("tip"), crumbs = document.getElementById("crumbs");
var byPath = new Map(), parentOf = new Map(), MAX_DEPTH = 6;
(function index(node, parent) {
  if (!byPath.has(node.p)) byPath.set(node.p, node);
  if (parent) parentOf.set(node, parent);
  (node.c || []).forEach(function (child) { index(child, node); });
})(root, null);

var UNITS = ["B", "KB", "MB", "GB", "TB", "PB"];
function human(bytes) {
  var value = bytes, unit = 0;
  while (value >= 999.95 && unit < UNITS.length - 1) { value /= 1000; unit++; }
  return unit === 0 ? bytes + " B" : value.toFixed(1) + " " + UNITS[unit];
}
function share(part, whole) { return whole > 0 ? (part / whole * 100).toFixed(part / whole < 0.001 ? 3 : 1) + "%" : "–"; }
function val(node) { return node.v[metric] || 0; }

function worst(row, sum, side) {
  var max = 0, min = Infinity;
  for (var i = 0; i < row.length; i++) { max = Math.max(max, row[i].a); min = Math.min(min, row[i].a); }
  var s2 = sum * sum, w2 = side * side;
  return Math.max(w2 * max / s2, s2 / (w2 * min));
}
// Squarified layout: rows along the shorter side, grown while the worst aspect ratio improves.
function squarify(items, x, y, w, h) {
  var out = [], i = 0;
  while (i < items.length) {
    var side = Math.min(w, h);
    if (side <= 0) break;
    var row = [items[i]], sum = items[i].a, next = i + 1;
    while (next < items.length) {
      var grown = row.concat([items[next]]);
      if (worst(grown, sum + items[next].a, side) > worst(row, sum, side)) break;
      row = grown; sum += items[next].a; next++;
    }
    var thick = sum / side, offset = 0;
    row.forEach(function (item) {
      var length = item.a / thick;
      out.push(w >= h ? { item: item, x: x, y: y + offset, w: thick, h: length }
                      : { item: item, x: x + offset, y: y, w: length, h: thick });
      offset += length;
    });
    if (w >= h) { x += thick; w -= thick; } else { y += thick; h -= thick; }
    i = next;
  }
  return out;
}

function tone(node) {
  if (!diff) return "k-" + node.k;
  var after = node.v[0], before = node.v[1];
  if (after === before) return "d-same";
  if (before === 0) return "d-new";
  if (after === 0) return "d-gone";
  var strong = Math.abs(after - before) / before >= 0.25;
  return after > before ? (strong ? "d-grow" : "d-grow2") : (strong ? "d-shrink" : "d-shrink2");
}

// The parent's area is its own size: what its children do not cover stays empty, so every
// cell's area is its share of the view.
function layout(node, x, y, w, h, depth) {
  var total = val(node);
  if (total <= 0 || w < 1 || h < 1) return;
  var kids = (node.c || []).filter(function (child) { return val(child) > 0; });
  var sum = kids.reduce(function (acc, child) { return acc + val(child); }, 0);
  var whole = Math.max(total, sum), scale = w * h / whole;
  var items = kids.map(function (child) { return { node: child, a: val(child) * scale }; });
  if (whole > sum) items.push({ node: null, a: (whole - sum) * scale });
  items.sort(function (a, b) { return b.a - a.a; });
  squarify(items, x, y, w, h).forEach(function (rect) {
    if (rect.item.node) draw(rect.item.node, rect, depth);
    else if (rect.w >= 3 && rect.h >= 3) drawOwn(node, rect, whole - sum);
  });
}

// What the children do not cover: the object's own bytes (names, opcodes, headers).
function drawOwn(node, rect, bytes) {
  var el = document.createElement("div");
  el.className = "own";
  el.style.left = rect.x + "px"; el.style.top = rect.y + "px";
  el.style.width = rect.w + "px"; el.style.height = rect.h + "px";
  if (rect.w >= 60 && rect.h >= 16) {
    var label = document.createElement("span");
    label.className = "label"; label.textContent = "own " + human(bytes);
    el.appendChild(label);
  }
  el.title = node.n + ": " + human(bytes) + " of its own (names, opcodes, headers) outside its parts";
  map.appendChild(el);
}

function draw(node, rect, depth) {
  var el = document.createElement("div"), hasKids = (node.c || []).some(function (c) { return val(c) > 0; });
  el.className = "cell " + tone(node) + (hasKids && depth < MAX_DEPTH ? " parent" : "");
  el.style.left = rect.x + "px"; el.style.top = rect.y + "px";
  el.style.width = rect.w + "px"; el.style.height = rect.h + "px";
  el.dataset.path = node.p; el.dataset.depth = depth; el.dataset.value = val(node);
  el.brineNode = node;
  var labelled = rect.w >= 40 && rect.h >= 16;
  if (labelled) {
    var label = document.createElement("span"), name = document.createElement("b"), size = document.createElement("small");
    label.className = "label"; name.textContent = node.n; size.textContent = human(val(node));
    label.appendChild(name); label.appendChild(size); el.appendChild(label);
  }
  map.appendChild(el);
  cells.push(el);
  var header = labelled ? 17 : 1, pad = 2;
  if (hasKids && depth < MAX_DEPTH && rect.w > 2 * pad + 6 && rect.h > header + pad + 6) {
    layout(node, rect.x + pad, rect.y + header, rect.w - 2 * pad, rect.h - header - pad, depth + 1);
  }
}

function render() {
  if (val(view) <= 0) view = root;
  map.textContent = ""; cells = [];
  map.dataset.view = view.p;
  layout(view, 0, 0, map.clientWidth, map.clientHeight, 1);
  crumbs.textContent = "";
  var chain = [], node = view;
  while (node) { chain.unshift(node); node = parentOf.get(node); }
  chain.forEach(function (step, index) {
    if (index > 0) { var sep = document.createElement("span"); sep.className = "sep"; sep.textContent = "›"; crumbs.appendChild(sep); }
    var part = document.createElement(index === chain.length - 1 ? "span" : "button");
    part.textContent = step.n + (index === chain.length - 1 ? " (" + human(val(step)) + ")" : "");
    if (index === chain.length - 1) part.className = "here";
    else part.addEventListener("click", function () { view = step; render(); });
    crumbs.appendChild(part);
  });
}

function line(parent, className, text) {
  var div = document.createElement("div"); div.className = className; div.textContent = text; parent.appendChild(div); return div;
}
function showTip(node, event) {
  tip.textContent = "";
  line(tip, "name", node.n + (node.t ? "  ·  " + node.t : ""));
  if (node.p && node.p !== node.n) line(tip, "row dim", node.p);
  if (diff) {
    var after = node.v[0], before = node.v[1], delta = after - before;
    line(tip, "row", "before " + human(before) + "  →  after " + human(after));
    line(tip, "row", (delta >= 0 ? "+" : "−") + human(Math.abs(delta)) + (before > 0 ? " (" + (delta >= 0 ? "+" : "") + (delta / before * 100).toFixed(1) + "%)" : " (new)"));
  } else {
    line(tip, "row", data.metrics[0] + ": " + human(node.v[0]) + " (" + node.v[0].toLocaleString("en-US") + " B), " + share(node.v[0], root.v[0]) + " of the total");
    for (var m = 1; m < data.metrics.length; m++) line(tip, "row", data.metrics[m] + ": " + (node.v[m] ? human(node.v[m]) + ", " + share(node.v[m], root.v[m]) + " of the total" : "not estimated"));
  }
  var parent = parentOf.get(node);
  if (parent && parent !== root && val(parent) > 0) line(tip, "row dim", share(val(node), val(parent)) + " of " + parent.n);
  if (node.f) { line(tip, "row", "training-only: remove with"); var code = document.createElement("code"); code.textContent = node.f; tip.appendChild(code); }
  tip.hidden = false;
  moveTip(event);
}
function moveTip(event) {
  var x = event.clientX + 14, y = event.clientY + 14, box = tip.getBoundingClientRect();
  if (x + box.width > window.innerWidth - 4) x = Math.max(4, event.clientX - box.width - 14);
  if (y + box.height > window.innerHeight - 4) y = Math.max(4, event.clientY - box.height - 14);
  tip.style.left = x + "px"; tip.style.top = y + "px";
}

map.addEventListener("mousemove", function (event) {
  var el = event.target.closest ? event.target.closest(".cell") : null;
  if (!el) { tip.hidden = true; return; }
  if (tip.brineNode !== el.brineNode) { tip.brineNode = el.brineNode; showTip(el.brineNode, event); } else moveTip(event);
});
map.addEventListener("mouseleave", function () { tip.hidden = true; tip.brineNode = null; });
map.addEventListener("click", function (event) {
  var el = event.target.closest ? event.target.closest(".cell") : null;
  if (!el) return;
  var node = el.brineNode, target = (node.c || []).length ? node : parentOf.get(node);
  if (target && target !== view) { view = target; tip.hidden = true; tip.brineNode = null; render(); }
});
document.addEventListener("keydown", function (event) {
  if ((event.key === "Escape" || event.key === "Backspace") && parentOf.get(view)) { view = parentOf.get(view); render(); }
});
Array.prototype.forEach.call(document.querySelectorAll("#metric input"), function (input) {
  input.addEventListener("change", function () { metric = Number(input.value); render(); });
});
function reveal(path) {
  var node = byPath.get(path);
  if (!node) return;
  view = parentOf.get(node) || root;
  if ((node.c || []).length === 0 && val(view) <= 0) view = root;
  render();
  map.scrollIntoView({ block: "nearest" });
  cells.forEach(function (el) { if (el.dataset.path === path) el.classList.add("flash"); });
}
Array.prototype.forEach.call(document.querySelectorAll("tr[data-node]"), function (row) {
  row.addEventListener("click", function () { reveal(row.dataset.node); });
  row.addEventListener("keydown", function (event) { if (event.key === "Enter") reveal(row.dataset.node); });
});
var pending = 0;
window.addEventListener("resize", function () { cancelAnimationFrame(pending); pending = requestAnimationFrame(render); });
render();
})();
"""#
}
