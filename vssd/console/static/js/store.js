// One small store for what every page shares (session, connection, language, the live slots and calls).
// `useStore(select)` re-renders a component when what it selects changes.
import { useEffect, useState } from "../vendor/preact-htm.mjs";

function createStore(initial) {
  let state = initial;
  const subs = new Set();
  return {
    get: () => state,
    set(patch) {
      state = { ...state, ...patch };
      subs.forEach((fn) => fn(state));
    },
    subscribe(fn) { subs.add(fn); return () => subs.delete(fn); },
  };
}

export const store = createStore({
  session: null, needLogin: false, connected: false, reconnecting: false, lang: "ru",
  slotsVersion: 0, callsVersion: 0, alertsVersion: 0, toast: null,
});

export function useStore(select) {
  const [value, setValue] = useState(() => select(store.get()));
  useEffect(() => store.subscribe((s) => setValue(select(s))), []);
  return value;
}

export function toast(message, kind = "info") {
  store.set({ toast: { message, kind, at: Date.now() } });
}
