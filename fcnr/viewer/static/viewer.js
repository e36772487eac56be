// FCNR viewer page: orbit by dragging (the nearest geodesic view is shown), a time slider with
// play, the IR/DVR switch, a view-sphere widget and optional ground truth with an error map.
// Images come from /api/image, decoded on demand by the server; the newest request wins (older
// ones are aborted), and recent images stay in a small browser-side cache. No external code.
"use strict";

const DEG = Math.PI / 180;
const RAD_PER_PX = 0.4 * DEG;        // drag speed, as cvlib's phi-theta control
const FPS = 4;                       // playback speed in timesteps per second
const BROWSER_CACHE = 256;           // images kept in the page
const SPHERE_EYE = { azimuth: -60 * DEG, elevation: 20 * DEG };  // where the widget looks from

const state = {
  meta: null, mode: null, tIndex: 0, view: null,
  polar: 60 * DEG, azimuth: -30 * DEG,   // the dragged camera direction (theta from +z, phi from +x)
  compare: false, controller: null, loading: false, timer: null, drag: null,
};
const cache = new Map();  // "mode/t/view/source" -> {url, info}, oldest first
const $ = (id) => document.getElementById(id);

class ApiError extends Error {}

function direction(polar, azimuth) {
  return [Math.sin(polar) * Math.cos(azimuth), Math.sin(polar) * Math.sin(azimuth), Math.cos(polar)];
}

function nearestView(dir) {
  let best = null, bestDot = -2;
  for (const v of state.meta.views) {
    const dot = v.x * dir[0] + v.y * dir[1] + v.z * dir[2];
    if (dot > bestDot + 1e-12) { best = v; bestDot = dot; }
  }
  return best;
}

function parseTiming(header) {
  const m = /dur=([0-9.]+)(?:;desc="(\w+)")?/.exec(header || "");
  return m ? { ms: parseFloat(m[1]), state: m[2] || "" } : null;
}

async function fetchImage(mode, t, view, source, signal) {
  const key = `${mode}/${t}/${view}/${source}`;
  if (cache.has(key)) {
    const hit = cache.get(key);
    cache.delete(key);
    cache.set(key, hit);
    return { ...hit, info: { ...hit.info, browserCached: true, tripMs: 0 } };
  }
  const start = performance.now();
  const response = await fetch(`/api/image?mode=${mode}&t=${t}&view=${view}&source=${source}`, { signal });
  if (!response.ok) {
    const body = await response.json().catch(() => ({ error: response.statusText }));
    throw new ApiError(body.error);
  }
  const blob = await response.blob();
  const info = {
    timing: parseTiming(response.headers.get("Server-Timing")),
    psnr: response.headers.get("X-FCNR-PSNR"), bpp: response.headers.get("X-FCNR-BPP"),
    tripMs: performance.now() - start, browserCached: false,
  };
  const entry = { url: URL.createObjectURL(blob), info };
  cache.set(key, entry);
  if (cache.size > BROWSER_CACHE) {
    const [oldKey, old] = cache.entries().next().value;
    cache.delete(oldKey);
    URL.revokeObjectURL(old.url);
  }
  return entry;
}

function showInto(img, url) {
  return new Promise((resolve, reject) => {
    img.onload = () => resolve();
    img.onerror = () => reject(new ApiError("the browser could not decode the image"));
    img.src = url;
  });
}

// Shows the current (mode, timestep, view); a newer call aborts the requests of an older one.
async function show() {
  const t = state.meta.timesteps[state.tIndex], view = state.view.index, mode = state.mode;
  if (state.controller) state.controller.abort();
  const controller = new AbortController();
  state.controller = controller;
  state.loading = true;
  describe(t, null);
  try {
    const sources = state.compare ? ["decoded", "truth", "error"] : ["decoded"];
    const entries = await Promise.all(sources.map((s) => fetchImage(mode, t, view, s, controller.signal)));
    if (controller.signal.aborted) return;
    await Promise.all(entries.map((e, k) => showInto($(sources[k]), e.url)));
    if (controller.signal.aborted) return;
    document.body.dataset.shown = `${mode}/${t}/${view}`;
    document.body.dataset.compared = state.compare ? "1" : "0";
    delete document.body.dataset.error;
    $("status").textContent = "";
    describe(t, entries[0].info);
  } catch (err) {
    if (err.name === "AbortError" || controller.signal.aborted) return;
    document.body.dataset.error = err.message;
    $("status").textContent = err.message;
  } finally {
    if (state.controller === controller) { state.loading = false; state.controller = null; }
  }
}

function describe(t, info) {
  const v = state.view;
  $("i-t").textContent = `${t}`;
  $("i-view").textContent = `${v.index}`;
  $("i-angles").textContent = `${(v.theta / DEG).toFixed(1)}° / ${(v.phi / DEG).toFixed(1)}°`;
  $("t-label").textContent = `t = ${t} (${state.tIndex + 1} of ${state.meta.timesteps.length})`;
  if (!info) { $("i-decode").textContent = "…"; return; }
  $("i-psnr").textContent = info.psnr ? `${parseFloat(info.psnr).toFixed(2)} dB` : "n/a (no metrics.csv)";
  $("i-bpp").textContent = info.bpp ? parseFloat(info.bpp).toFixed(4) : "n/a";
  if (info.browserCached) {
    $("i-decode").textContent = "in the page's cache";
  } else if (info.timing) {
    const where = info.timing.state === "hit" ? "server cache" : "decoded";
    $("i-decode").textContent = `${info.timing.ms.toFixed(1)} ms (${where})`;
  }
  $("i-trip").textContent = info.browserCached ? "0 ms" : `${info.tripMs.toFixed(1)} ms`;
}

function setDirection(polar, azimuth) {
  state.polar = Math.min(Math.max(polar, 0), Math.PI);
  state.azimuth = azimuth;
  const dir = direction(state.polar, state.azimuth);
  document.body.dataset.dir = dir.map((c) => c.toFixed(6)).join(",");
  const view = nearestView(dir);
  const changed = !state.view || view.index !== state.view.index;
  state.view = view;
  drawSphere();
  if (changed) show();
}

// ---- the view-sphere widget: every view as a dot, the shown one in red, the dragged direction as a ring

function sphereBasis() {
  const { azimuth: a, elevation: e } = SPHERE_EYE;
  const w = [Math.cos(e) * Math.cos(a), Math.cos(e) * Math.sin(a), Math.sin(e)];
  const right = normalize([-w[1], w[0], 0]);            // +z x w
  const up = [w[1] * right[2] - w[2] * right[1], w[2] * right[0] - w[0] * right[2], w[0] * right[1] - w[1] * right[0]];
  return { w, right, up };
}

function normalize(v) {
  const n = Math.hypot(...v);
  return v.map((c) => c / n);
}

function project(p, canvas) {
  const { w, right, up } = sphereBasis();
  const r = canvas.width * 0.42, cx = canvas.width / 2, cy = canvas.height / 2;
  const dot = (a, b) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
  return { x: cx + r * dot(p, right), y: cy - r * dot(p, up), front: dot(p, w) >= 0 };
}

function drawSphere() {
  const canvas = $("sphere"), ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  ctx.strokeStyle = "#999";
  ctx.beginPath();
  ctx.arc(canvas.width / 2, canvas.height / 2, canvas.width * 0.42, 0, 2 * Math.PI);
  ctx.stroke();
  const pole = project([0, 0, 1], canvas);
  ctx.fillStyle = "#555";
  ctx.fillText("+z", pole.x + 4, pole.y - 4);
  for (const v of state.meta.views) {
    const p = project([v.x, v.y, v.z], canvas);
    ctx.fillStyle = p.front ? "#333" : "#ccc";
    ctx.beginPath();
    ctx.arc(p.x, p.y, p.front ? 2.5 : 1.5, 0, 2 * Math.PI);
    ctx.fill();
  }
  if (state.view) {
    const p = project([state.view.x, state.view.y, state.view.z], canvas);
    ctx.fillStyle = "#d00";
    ctx.beginPath();
    ctx.arc(p.x, p.y, 5, 0, 2 * Math.PI);
    ctx.fill();
  }
  const d = project(direction(state.polar, state.azimuth), canvas);
  ctx.strokeStyle = "#06c";
  ctx.beginPath();
  ctx.arc(d.x, d.y, 8, 0, 2 * Math.PI);
  ctx.stroke();
}

function pickOnSphere(event) {
  const canvas = $("sphere"), box = canvas.getBoundingClientRect();
  const x = event.clientX - box.left, y = event.clientY - box.top;
  let best = null, bestDist = 12;
  for (const v of state.meta.views) {
    const p = project([v.x, v.y, v.z], canvas);
    const dist = Math.hypot(p.x - x, p.y - y);
    if (p.front && dist < bestDist) { best = v; bestDist = dist; }
  }
  if (best) setDirection(best.theta, best.phi);
}

// ---- controls

function startDrag(event) {
  state.drag = { x: event.clientX, y: event.clientY };
  $("decoded").setPointerCapture(event.pointerId);
  $("decoded").classList.add("dragging");
}

function moveDrag(event) {
  if (!state.drag) return;
  const dx = event.clientX - state.drag.x, dy = event.clientY - state.drag.y;
  state.drag = { x: event.clientX, y: event.clientY };
  // Dragging turns the object with the pointer: the camera goes the other way round it.
  setDirection(state.polar - dy * RAD_PER_PX, state.azimuth - dx * RAD_PER_PX);
}

function endDrag() {
  state.drag = null;
  $("decoded").classList.remove("dragging");
}

function togglePlay() {
  if (state.timer) {
    clearInterval(state.timer);
    state.timer = null;
    $("play").textContent = "▶ play";
    return;
  }
  $("play").textContent = "❚❚ pause";
  state.timer = setInterval(() => {
    if (state.loading) return;  // wait for the frame on screen, so playback never skips ahead of decoding
    state.tIndex = (state.tIndex + 1) % state.meta.timesteps.length;
    $("time").value = state.tIndex;
    show();
  }, 1000 / FPS);
}

function buildModes() {
  const box = $("modes");
  for (const mode of state.meta.modes) {
    const label = document.createElement("label");
    const input = document.createElement("input");
    Object.assign(input, { type: "radio", name: "mode", value: mode, checked: mode === state.mode });
    input.addEventListener("change", () => { state.mode = mode; updateCompare(); show(); });
    label.append(input, ` ${mode.toUpperCase()}`);
    box.append(label);
  }
}

function updateCompare() {
  const available = state.meta.truth[state.mode];
  $("compare").disabled = !available;
  $("compare-label").title = available ? "" : "this run did not keep its rendered images";
  state.compare = available && $("compare").checked;
  document.body.classList.toggle("comparing", state.compare);
}

async function main() {
  const response = await fetch("/api/meta");
  state.meta = await response.json();
  state.mode = state.meta.modes[0];
  document.title = `FCNR viewer: ${state.meta.dataset}`;
  $("title").textContent = `FCNR viewer: ${state.meta.dataset}`;
  $("time").max = state.meta.timesteps.length - 1;
  buildModes();
  updateCompare();
  $("time").addEventListener("input", () => { state.tIndex = Number($("time").value); show(); });
  $("play").addEventListener("click", togglePlay);
  $("compare").addEventListener("change", () => { updateCompare(); show(); });
  $("decoded").addEventListener("pointerdown", startDrag);
  $("decoded").addEventListener("pointermove", moveDrag);
  $("decoded").addEventListener("pointerup", endDrag);
  $("decoded").addEventListener("pointercancel", endDrag);
  $("sphere").addEventListener("click", pickOnSphere);
  document.body.dataset.ready = "1";
  setDirection(state.polar, state.azimuth);
}

main().catch((err) => { $("status").textContent = `cannot load the run: ${err.message}`; });
