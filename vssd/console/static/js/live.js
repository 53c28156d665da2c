// Real-time: one Socket.IO connection with the user's token (the API's `/socket.io/`). Slots and recent calls are
// kept here; updates are applied at most once per animation frame (the server already coalesces slot.update per
// slot), so a burst of events costs one render. On disconnect a "reconnecting" banner shows while socket.io retries
// with its backoff (1 s doubling to 10 s, jittered); after a reconnect the slots are re-read through REST.
// No polling loops: REST is read once per (re)connection.
import { io } from "../vendor/socket.io.esm.min.js";
import { api, refresh, token } from "./api.js";
import { store } from "./store.js";

export const slots = new Map();   // id → slot view
export const calls = new Map();   // call_id → latest call view (live feed, newest last)
export const alerts = [];         // system.alert payloads received, newest first
const MAX_CALLS = 500;
const pendingSlots = new Map();
const pendingCalls = new Map();
const listeners = { "system.alert": new Set(), "call.update": new Set(), "any": new Set() };
let socket = null;
let frame = 0;
const pendingRecv = new Map();  // id → receive stamps, only while tracing
// Latency tracing for bench/console.py: set window.__vssdTrace = [] before the page loads; each painted slot
// update then adds {id, prev, state, at, received, painted} (ms since the epoch; the first update of a slot
// within a frame, so a superseded transition counts until the frame that shows its successor).
const trace = () => (typeof window !== "undefined" ? window.__vssdTrace : undefined);

export function on(event, fn) { (listeners[event] ||= new Set()).add(fn); return () => listeners[event].delete(fn); }

function flush() {
  frame = 0;
  const t = trace();
  const applied = t ? [...pendingRecv.values()] : null;
  pendingRecv.clear();
  if (pendingSlots.size) {
    for (const [id, view] of pendingSlots) slots.set(id, { ...(slots.get(id) || {}), ...view });
    pendingSlots.clear();
    store.set({ slotsVersion: store.get().slotsVersion + 1 });
  }
  if (pendingCalls.size) {
    for (const [id, view] of pendingCalls) { calls.delete(id); calls.set(id, view); }
    pendingCalls.clear();
    while (calls.size > MAX_CALLS) calls.delete(calls.keys().next().value);
    store.set({ callsVersion: store.get().callsVersion + 1 });
  }
  if (t && applied.length) {
    // The tiles were rendered synchronously by the store update above; the next frame is when they are painted.
    requestAnimationFrame(() => {
      const painted = performance.timeOrigin + performance.now();
      applied.forEach((r) => t.push({ ...r, painted }));
    });
  }
}
function later() { if (!frame) frame = requestAnimationFrame(flush); }

function onSlot(view) {
  const id = String(view.id ?? view.slot_id);
  const t = trace();
  // The transition's server time (state_since, epoch s) against this page's receive and the next frame's paint.
  if (t && !pendingRecv.has(id)) pendingRecv.set(id, { id, prev: (slots.get(id) || {}).fsm_state, state: view.fsm_state, at: (view.state_since || 0) * 1000, received: performance.timeOrigin + performance.now() });
  pendingSlots.set(id, view);
  if (touched) touched.add(id);
  later();
}
function onCall(view) {
  const id = String(view.call_id ?? view.id);
  pendingCalls.set(id, view);
  listeners["call.update"].forEach((fn) => fn(view));
  later();
}
function onAlert(data) {
  alerts.unshift({ ...data, received: Date.now() });
  if (alerts.length > 200) alerts.length = 200;
  listeners["system.alert"].forEach((fn) => fn(data));
  store.set({ alertsVersion: store.get().alertsVersion + 1 });
}

// The list as the API has it now; a slot whose update arrived while the list was on its way keeps that update
// (the socket delivers each slot's updates in order, so it is at least as new as what the list says).
let touched = null;
export async function resync() {
  const mine = new Set();
  touched = mine;
  try {
    const list = await api("GET", "/api/slots", null, { limit: 5000 });
    const items = Array.isArray(list) ? list : (list.items || list.slots || []);
    const fresh = new Map();
    for (const v of items) { const id = String(v.id ?? v.slot_id); fresh.set(id, mine.has(id) && slots.has(id) ? slots.get(id) : v); }
    slots.clear();
    for (const [id, v] of fresh) slots.set(id, v);
    store.set({ slotsVersion: store.get().slotsVersion + 1, slotsLoaded: true });
  } catch (err) {
    if (err.status === 403) store.set({ slotsLoaded: true, slotsForbidden: true });
  } finally {
    if (touched === mine) touched = null;
  }
}

export function connect() {
  if (socket) { if (!socket.connected && !socket.active) socket.connect(); return socket; }
  socket = io({ path: "/socket.io/", transports: ["websocket"], auth: (cb) => cb({ token: token() }),
    reconnectionDelay: 1000, reconnectionDelayMax: 10000, randomizationFactor: 0.5 });
  // The first list is read at once, beside the handshake (not after it): the grid does not wait for the socket.
  // Once subscribed it is read again, so nothing that changed in between is missed (and after every reconnect).
  socket.on("connect", () => { store.set({ connected: true, reconnecting: false }); resync(); });
  resync();
  socket.on("disconnect", (reason) => { store.set({ connected: false, reconnecting: reason !== "io client disconnect" }); });
  socket.on("connect_error", (err) => {
    store.set({ connected: false, reconnecting: true });
    // A refused handshake is not retried by the client: an unusable token is refreshed (or the login dialog
    // opens), then the same socket connects again with the new one.
    if (!socket.active && err && err.data && err.data.code === "AUTH_FAIL") {
      refresh().then(() => socket && socket.connect(), () => store.set({ needLogin: true }));
    }
  });
  socket.on("slot.update", onSlot);
  socket.on("call.update", onCall);
  socket.on("system.alert", onAlert);
  socket.onAny((event, data) => { if (listeners[event] && !["call.update", "system.alert"].includes(event)) listeners[event].forEach((fn) => fn(data)); listeners.any.forEach((fn) => fn(event, data)); });
  return socket;
}

export function disconnect() {
  if (socket) { socket.disconnect(); socket = null; }
  store.set({ connected: false, reconnecting: false });
}
