// Diagrams are drawn at build time into inline SVG; only a diagram the build could not draw
// is left as <pre class="mermaid"> (the build warns; the book has none). On a page with one,
// this loads mermaid.min.js (2.6 MB), renders it in a palette that matches the current theme,
// and re-renders when the reader switches theme. Other pages fetch nothing.
(() => {
    'use strict';
    const diagrams = Array.from(document.querySelectorAll('pre.mermaid'));
    if (diagrams.length === 0) {
        return;
    }
    // Keep each diagram's source: mermaid replaces it with an <svg>.
    for (const pre of diagrams) {
        pre.dataset.source = pre.textContent;
    }
    const darkThemes = ['coal', 'navy', 'ayu'];
    const mermaidTheme = () =>
        darkThemes.some((t) => document.documentElement.classList.contains(t)) ? 'dark' : 'default';

    let rendering = Promise.resolve();
    const render = () => {
        rendering = rendering.then(async () => {
            for (const pre of diagrams) {
                pre.removeAttribute('data-processed');
                pre.textContent = pre.dataset.source;
            }
            window.mermaid.initialize({ startOnLoad: false, theme: mermaidTheme(), securityLevel: 'strict' });
            await window.mermaid.run({ nodes: diagrams });
        }).catch((err) => console.error('mermaid:', err));
        return rendering;
    };

    const script = document.createElement('script');
    script.src = path_to_root + 'generated/mermaid.min.js';
    script.onload = () => {
        let current = mermaidTheme();
        render();
        new MutationObserver(() => {
            const next = mermaidTheme();
            if (next !== current) {
                current = next;
                render();
            }
        }).observe(document.documentElement, { attributes: true, attributeFilter: ['class'] });
    };
    script.onerror = () => {
        for (const pre of diagrams) {
            pre.insertAdjacentHTML('afterend',
                '<p class="bf-error">The diagram script (generated/mermaid.min.js) is missing: run <code>cargo xtask build</code>.</p>');
        }
    };
    document.head.appendChild(script);
})();
