// Backend Fundamentals: the one DOM helper that theme/playground.js and theme/quiz.js share.
// Loaded before them (book.toml, additional-js).
window.bfDom = {
    /** `<tag attributes…>children</tag>`; `text` sets textContent, `true` an empty attribute. */
    el(tag, attributes = {}, ...children) {
        const node = document.createElement(tag);
        for (const [name, value] of Object.entries(attributes)) {
            if (name === "text") node.textContent = value;
            else if (value !== false && value !== null && value !== undefined) node.setAttribute(name, value === true ? "" : value);
        }
        node.append(...children);
        return node;
    },
};
