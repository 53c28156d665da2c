// Page paths in the address bar (History API); the shell renders the page of `store.path`.
import { store } from "./store.js";

export function navigate(path) {
  if (location.pathname + location.search === path) return;
  history.pushState(null, "", path);
  store.set({ path: location.pathname, search: location.search });
}
window.addEventListener("popstate", () => store.set({ path: location.pathname, search: location.search }));
