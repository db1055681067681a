// Backend Fundamentals: registers the service worker that keeps the book working offline
// (book/service-worker.js, written by `cargo xtask build`; see xtask/src/service-worker.js), and
// offers a new deploy once it is fully cached.
//
// * Scope: the site's root, from mdBook's `path_to_root`, so a book served under a sub-path
//   (GitHub Pages: /<repo>/) registers /<repo>/ and leaves the rest of the host alone.
// * Not under `mdbook serve`: its live-reload script (mdBook's index.hbs) declares `wsAddress`,
//   ending in /__livereload; a worker there would only get in the way of reloads.
// * Updates: when a new build's worker has cached everything and waits, a notice offers to
//   reload. "Reload" asks it to take over; every open page of the book then reloads on
//   `controllerchange`, so none keeps running old HTML against the new build's files.

(() => {
    "use strict";

    if (!("serviceWorker" in navigator) || !window.isSecureContext) return;
    const liveReload = typeof wsAddress === "string" && wsAddress.endsWith("/__livereload");
    if (liveReload) return;

    const ROOT = typeof path_to_root === "string" ? path_to_root : "";
    const scope = new URL(ROOT || "./", location.href);
    const script = new URL("service-worker.js", scope);

    // A page that was controlled reloads when a new build takes over (the reader asked for it,
    // here or in another tab). The first visit's page was not controlled and is left alone.
    const hadController = Boolean(navigator.serviceWorker.controller);
    navigator.serviceWorker.addEventListener("controllerchange", () => {
        if (hadController) location.reload();
    });

    function offerUpdate(registration) {
        if (!registration.waiting || !navigator.serviceWorker.controller) return;
        if (document.getElementById("bf-update-notice")) return;
        const { el } = window.bfDom;
        const reload = el("button", { type: "button", class: "bf-update-reload", text: "Reload" });
        const later = el("button", { type: "button", class: "bf-update-later", text: "Later" });
        const notice = el(
            "div",
            { id: "bf-update-notice", class: "bf-update-notice", role: "status" },
            el("span", { text: "A new version of this book is ready offline. " }),
            reload,
            later,
        );
        reload.addEventListener("click", () => {
            reload.disabled = true;
            registration.waiting?.postMessage({ type: "skip-waiting" });
        });
        later.addEventListener("click", () => notice.remove());
        document.body.append(notice);
    }

    async function register() {
        let registration;
        try {
            registration = await navigator.serviceWorker.register(script.href, {
                scope: scope.href,
                // Always ask the server for the worker script: a new deploy is a new script.
                updateViaCache: "none",
            });
        } catch (error) {
            // Offline reading is an extra: the page works without it.
            console.warn(`Backend Fundamentals: no offline copy (${error.message})`);
            return;
        }
        // A browser (or test) that blocks service workers may resolve to nothing.
        if (!registration) return;
        offerUpdate(registration);
        registration.addEventListener("updatefound", () => {
            const installing = registration.installing;
            installing?.addEventListener("statechange", () => {
                if (installing.state === "installed") offerUpdate(registration);
            });
        });
    }

    // After the page has loaded, so that caching the book never competes with the page itself.
    if (document.readyState === "complete") register();
    else window.addEventListener("load", register, { once: true });
})();
