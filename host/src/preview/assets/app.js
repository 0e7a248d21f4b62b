// helmwasm preview: the page fetches the state after each render the server announces
// (server-sent events) and draws it. Every string from the server is set as text, never as
// HTML. No framework, nothing fetched from elsewhere.
"use strict";

const token = new URLSearchParams(location.search).get("token") || "";
const $ = (id) => document.getElementById(id);

function url(path, params) {
  const u = new URL(path, location.href);
  u.searchParams.set("token", token);
  for (const [k, v] of Object.entries(params || {})) u.searchParams.set(k, v);
  return u.toString();
}

function el(tag, props, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const c of children) if (c != null) e.append(c);
  return e;
}

let state = null;
let selectedObject = null;
let selectedKey = null;

async function refresh() {
  const response = await fetch(url("/api/state"));
  if (!response.ok) return;
  state = await response.json();
  draw();
}

function draw() {
  $("render").textContent = String(state.render);
  $("ms").textContent = state.ms.toFixed(0) + " ms";
  const error = $("error");
  error.hidden = !state.error;
  error.textContent = state.error ? "the last render failed: " + state.error : "";
  drawTree();
  drawChanges();
  diff($("diff"), state.diff || "(no change)");
  $("baseline-box").hidden = !state.baseline;
  if (state.baseline) {
    $("baseline-name").textContent = state.baseline.name;
    diff($("baseline"), state.baseline.diff || "(no difference)");
  }
  drawDiagnostics();
  drawValues();
  drawSteps();
  if (selectedObject) showObject(selectedObject.release, selectedObject.index);
  if (selectedKey) explain(selectedKey.release, selectedKey.path);
}

function changedSet() {
  const out = new Set();
  for (const c of state.changes) {
    for (const k of c.added.concat(c.changed)) out.add(c.release + "\u0000" + k.kind + "\u0000" + k.namespace + "\u0000" + k.name);
  }
  return out;
}

function drawTree() {
  const changed = changedSet();
  const tree = $("tree");
  tree.replaceChildren();
  for (const r of state.releases) {
    const byKind = new Map();
    r.objects.forEach((o, i) => {
      if (!byKind.has(o.kind)) byKind.set(o.kind, []);
      byKind.get(o.kind).push([o, i]);
    });
    const kinds = el("ul");
    for (const [kind, items] of [...byKind.entries()].sort()) {
      const list = el("ul");
      for (const [o, i] of items) {
        const name = (o.namespace ? o.namespace + "/" : "") + o.name;
        const id = r.name + "\u0000" + o.kind + "\u0000" + (o.namespace || r.namespace || "") + "\u0000" + o.name;
        const button = el("button", {
          class: "link" + (changed.has(id) ? " changed" : ""),
          text: name,
          title: o.source,
          onclick: () => showObject(r.name, i),
        });
        list.append(el("li", {}, button, " ", el("span", { class: "badge " + o.origin, text: o.origin })));
      }
      kinds.append(el("li", {}, el("details", { open: "" }, el("summary", { text: kind + " (" + items.length + ")" }), list)));
    }
    const head = r.name + (r.namespace ? " (" + r.namespace + ")" : "");
    const body = el("details", { open: "" }, el("summary", { text: head }), kinds);
    if (r.skipped) body.append(el("p", { class: "hint", text: "chart not rendered: " + r.skipped }));
    if (r.error) body.append(el("p", { class: "error", text: "failed: " + r.error }));
    tree.append(body);
  }
}

function showObject(release, index) {
  const r = state.releases.find((x) => x.name === release);
  const o = r && r.objects[index];
  if (!o) return;
  selectedObject = { release, index };
  $("object-name").textContent = o.kind + " " + (o.namespace ? o.namespace + "/" : "") + o.name + " · " + o.source;
  $("object").textContent = o.yaml;
}

function drawChanges() {
  const list = $("changes");
  list.replaceChildren();
  for (const c of state.changes) {
    if (c.error) {
      list.append(el("li", { class: "error", text: c.release + ": failed: " + c.error }));
      continue;
    }
    const item = el("li", { text: c.release + ": " + c.added.length + " added, " + c.changed.length + " changed, " + c.removed.length + " removed" });
    const keys = el("ul", { class: "values-changed" });
    for (const v of c.values) {
      const b = el("button", { class: "link", text: v.path, onclick: () => explain(c.release, v.path) });
      keys.append(el("li", {}, b, el("span", { class: "value", text: " set by " + v.by })));
    }
    item.append(keys);
    list.append(item);
  }
}

function diff(pre, text) {
  pre.replaceChildren();
  for (const line of text.split("\n")) {
    const cls = line.startsWith("+") ? "add" : line.startsWith("-") ? "del" : line.startsWith("@@") ? "hunk" : null;
    pre.append(cls ? el("span", { class: cls, text: line }) : document.createTextNode(line + "\n"));
  }
}

function drawDiagnostics() {
  const list = $("diagnostics");
  list.replaceChildren();
  if (state.diagnostics.length === 0) list.append(el("li", { text: "none" }));
  for (const d of state.diagnostics) {
    const where = d.file ? d.file + (d.line ? ":" + d.line : "") : "";
    const head = el("span", { class: "severity-" + d.severity, text: d.severity + "[" + d.code + "] " + d.name });
    const item = el("li", {}, head, " ", d.release ? d.release + ": " : "", d.message, " ");
    if (d.file) {
      item.append(el("a", { href: "#source", class: "source-link", text: where, onclick: (e) => { e.preventDefault(); source(d.file, d.line); } }));
    }
    list.append(item);
  }
}

async function source(file, line) {
  const response = await fetch(url("/api/source", { file }));
  const pre = $("source");
  pre.hidden = false;
  pre.replaceChildren();
  if (!response.ok) {
    pre.textContent = file + ": " + (await response.text());
    return;
  }
  const lines = (await response.text()).split("\n");
  let hit = null;
  lines.forEach((text, i) => {
    const n = String(i + 1).padStart(4, " ");
    const span = el("span", { class: i + 1 === line ? "hit" : "", text: n + "  " + text + "\n" });
    if (i + 1 === line) hit = span;
    pre.append(span);
  });
  pre.setAttribute("data-file", file);
  pre.focus();
  if (hit) hit.scrollIntoView({ block: "center" });
}

function drawValues() {
  const box = $("values");
  box.replaceChildren();
  for (const r of state.releases) {
    if (!r.values) continue;
    box.append(el("details", { open: "" }, el("summary", { text: r.name }), tree(r.name, r.values, "")));
  }
}

function tree(release, value, path) {
  const list = el("ul");
  const entries = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
  for (const [k, v] of entries) {
    const p = Array.isArray(value) ? path + "[" + k + "]" : (path ? path + "." : "") + k;
    const key = el("button", { class: "link key", "data-path": p, text: String(k), onclick: () => explain(release, p) });
    if (v !== null && typeof v === "object" && Object.keys(v).length > 0) {
      list.append(el("li", {}, el("details", {}, el("summary", {}, key), tree(release, v, p))));
    } else {
      list.append(el("li", {}, key, el("span", { class: "value", text: ": " + JSON.stringify(v) })));
    }
  }
  return list;
}

async function explain(release, path) {
  selectedKey = { release, path };
  $("history-key").textContent = release + ": " + path;
  const response = await fetch(url("/api/explain", { release, path }));
  $("history").textContent = await response.text();
}

function drawSteps() {
  const body = $("steps").tBodies[0];
  body.replaceChildren();
  for (const r of state.releases) {
    for (const s of r.steps) {
      const what = [s.set.length ? "set " + s.set.join(", ") : "", s.changed.length ? "changed " + s.changed.join(", ") : "", s.deleted.length ? "deleted " + s.deleted.join(", ") : ""].filter(Boolean).join("; ");
      body.append(el("tr", {}, el("td", { text: r.name }), el("td", { text: s.step }), el("td", { text: s.ms.toFixed(1) }), el("td", { text: what }), el("td", { text: s.emitted.join(", ") })));
    }
  }
}

const events = new EventSource(url("/api/events"));
events.addEventListener("render", () => { $("live").textContent = "live"; refresh(); });
events.addEventListener("error", () => { $("live").textContent = "reconnecting…"; });
