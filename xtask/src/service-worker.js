// Backend Fundamentals: the service worker that keeps the whole book readable and runnable
// offline after the first visit.
//
// `cargo xtask build` writes it to book/service-worker.js after `mdbook build`: the line above
// this comment, `const BUILD = {...}`, is the precache manifest of that build (xtask/src/offline.rs):
// every file of book/ (pages, mdBook's fingerprinted assets, fonts, the search index, the wasm
// modules, the example sources) with the SHA-256 of its content, and the build id, a hash of
// them all. theme/offline.js registers it with the site root as its scope.
//
// One cache per build, `bf-offline:<scope path>:<build id>`, and only the current build's cache
// answers:
// * install fetches every file of the manifest (bypassing the HTTP cache), checks each one's
//   status and SHA-256, and stores it in this build's cache. One failure (a network error, a 404,
//   a CDN still serving the previous deploy's file) fails the install and deletes the cache, so a
//   build's cache is complete or absent; the browser tries again on a later visit.
// * activate deletes every other build's cache of this scope.
// * fetch answers a GET for a file of the manifest from this build's cache (cache first; the
//   network only if the browser evicted the cache). Any other request goes to the network as if
//   there were no worker.
//
// Updates: a new deploy has a new build id, hence a new worker script. The browser installs it
// beside the running one, which keeps serving the open pages from the old build's cache; the new
// worker waits. It takes over when no page of the book is open any more, or when the reader
// presses "Reload" on the notice theme/offline.js shows: the page asks the waiting worker to
// skip waiting, the worker activates, the browser hands it every page the old worker controlled,
// and each of them reloads. A page never mixes the HTML of one build with the scripts or wasm of
// another. The page of the very first visit was loaded from the network and stays uncontrolled;
// the next page opened is served by the worker.

"use strict";

const SCOPE_PATH = new URL(self.registration.scope).pathname;
const CACHE_PREFIX = `bf-offline:${SCOPE_PATH}:`;
const CACHE = CACHE_PREFIX + BUILD.id;
/** How many files install fetches at once. */
const PARALLEL_FETCHES = 6;

/** The cache key of a file of the manifest: its absolute URL, without query or fragment. */
const urlOf = (path) => new URL(path.split("/").map(encodeURIComponent).join("/"), self.registration.scope).href;
const PRECACHED = new Map(Object.entries(BUILD.files).map(([path, sha256]) => [urlOf(path), { path, sha256 }]));

/** The manifest's key for a request URL: no query or fragment; a folder is its index.html. */
function keyOf(url) {
    const key = new URL(url);
    key.search = "";
    key.hash = "";
    if (key.pathname.endsWith("/")) key.pathname += "index.html";
    return key.href;
}

async function sha256Hex(buffer) {
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", buffer));
    return Array.from(digest, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** Fetches one file of the manifest and checks it is this build's; returns the response to store. */
async function fetchVerified(url, { path, sha256 }) {
    const response = await fetch(url, { cache: "reload", credentials: "same-origin" });
    if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
    const body = await response.arrayBuffer();
    const got = await sha256Hex(body);
    if (!got.startsWith(sha256)) {
        throw new Error(`${path}: the server sent content of another build (SHA-256 ${got.slice(0, 12)}…, expected ${sha256.slice(0, 12)}…)`);
    }
    // A fresh response (not `redirected`, which a navigation would refuse) with the server's
    // headers, but none that describe the bytes on the wire: the body is stored decoded.
    const headers = new Headers(response.headers);
    for (const name of ["content-encoding", "content-length", "transfer-encoding"]) headers.delete(name);
    return new Response(body, { status: response.status, statusText: response.statusText, headers });
}

async function precache() {
    // A cache of this build left by an interrupted install is incomplete: start again.
    await caches.delete(CACHE);
    const cache = await caches.open(CACHE);
    const queue = [...PRECACHED.entries()];
    async function worker() {
        for (let next = queue.shift(); next; next = queue.shift()) {
            const [url, file] = next;
            await cache.put(url, await fetchVerified(url, file));
        }
    }
    try {
        await Promise.all(Array.from({ length: PARALLEL_FETCHES }, worker));
    } catch (error) {
        queue.length = 0;
        await caches.delete(CACHE);
        throw error;
    }
}

self.addEventListener("install", (event) => {
    event.waitUntil(precache());
});

self.addEventListener("activate", (event) => {
    event.waitUntil(
        (async () => {
            for (const name of await caches.keys()) {
                if (name.startsWith(CACHE_PREFIX) && name !== CACHE) await caches.delete(name);
            }
        })(),
    );
});

// "Reload" on theme/offline.js's notice. Activating now hands every page the old build
// controlled to this one (the browser does that itself; their requests wait until activation
// has finished), and theme/offline.js reloads each of them on `controllerchange`. There is no
// `clients.claim()`: a page that no worker controlled was loaded from the network, and stays so.
self.addEventListener("message", (event) => {
    if (event.data?.type === "skip-waiting") event.waitUntil(self.skipWaiting());
});

async function fromCache(request, key) {
    const cache = await caches.open(CACHE);
    const cached = await cache.match(key);
    // The browser may evict caches under storage pressure: then the network, as without a worker.
    return cached ?? fetch(request);
}

self.addEventListener("fetch", (event) => {
    const { request } = event;
    if (request.method !== "GET") return;
    const key = keyOf(request.url);
    if (!PRECACHED.has(key)) return;
    event.respondWith(fromCache(request, key));
});
