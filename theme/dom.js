// Backend Fundamentals: the one DOM helper that theme/playground.js and theme/quiz.js share, and
// the few fixes to mdBook's own markup that CSS cannot make. Loaded before them (book.toml,
// additional-js), at the end of the body.
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

// mdBook's book.js turns ← and → into "previous/next chapter" for the whole page. On a focused
// block that scrolls sideways (the preprocessor's code and output, tables) they scroll it
// instead: the key stops here, below the document where book.js listens, and does its default.
document.body.addEventListener("keydown", (event) => {
    if (event.key !== "ArrowLeft" && event.key !== "ArrowRight") return;
    const box = event.target;
    if (box.matches?.("code[tabindex], .table-wrapper[tabindex]") && box.scrollWidth > box.clientWidth) event.stopPropagation();
});

// mdBook wraps each Markdown table in a div.table-wrapper that scrolls sideways on a narrow
// screen: like the preprocessor's <pre> blocks, it is made reachable with the keyboard and
// named after its columns.
for (const wrapper of document.querySelectorAll("main .table-wrapper")) {
    const columns = [...wrapper.querySelectorAll("thead th")].map((th) => th.textContent.trim()).filter(Boolean);
    wrapper.setAttribute("tabindex", "0");
    wrapper.setAttribute("role", "group");
    wrapper.setAttribute("aria-label", columns.length ? `Table: ${columns.join(", ")}` : "Table");
}

// mdBook's sidebar toggle is a <label> for a hidden checkbox: no role that allows its
// aria-label and aria-expanded, and no way to reach it with Tab. As a button it has both.
const sidebarToggle = document.getElementById("mdbook-sidebar-toggle");
if (sidebarToggle?.tagName === "LABEL") {
    sidebarToggle.setAttribute("role", "button");
    sidebarToggle.setAttribute("tabindex", "0");
    sidebarToggle.addEventListener("keydown", (event) => {
        if (event.key === "Enter" || event.key === " ") {
            event.preventDefault();
            sidebarToggle.click(); // a label's click toggles its checkbox, as mdBook's book.js expects
        }
    });
}
