// Backend Fundamentals: printing shows every folded answer.
//
// Answers are folded in <details> (quiz answers, which theme/quiz.js also hides until the
// reader checks an answer; "Reveal the answer" in example outputs; depth folded into a chapter).
// Before printing, and on print.html from the start (mdBook prints it as soon as it has loaded),
// every <details> is opened and every hidden quiz answer shown. After printing from a chapter
// page, the page goes back to how the reader left it. theme/print.css does the same for print
// without JavaScript where the browser supports `::details-content`.
// Loaded last (book.toml, additional-js), after theme/quiz.js has hidden its answers.

(() => {
    "use strict";

    /** Opens every folded answer; returns a function that folds back what it opened. */
    function unfoldAll() {
        const opened = [];
        const shown = [];
        for (const details of document.querySelectorAll("details")) {
            if (!details.open) {
                details.open = true;
                opened.push(details);
            }
            if (details.hidden && details.matches(".bf-quiz-answer")) {
                details.hidden = false;
                shown.push(details);
            }
        }
        return () => {
            for (const details of opened) details.open = false;
            for (const details of shown) details.hidden = true;
        };
    }

    // mdBook's print page: `.bf-print-page` on <html> lets the tests (and CSS) tell it apart.
    const printPage = /(^|\/)print\.html$/.test(location.pathname);
    if (printPage) {
        document.documentElement.classList.add("bf-print-page");
        unfoldAll();
        return;
    }

    let foldBack = null;
    window.addEventListener("beforeprint", () => {
        foldBack ??= unfoldAll();
    });
    window.addEventListener("afterprint", () => {
        foldBack?.();
        foldBack = null;
    });
})();
