// Backend Fundamentals: self-check quizzes and the review page, without a framework.
//
// The preprocessor writes each question as readable HTML (prompt, options, the answer folded in
// <details>), so a page without JavaScript still shows questions and answers. This script turns
// each `.bf-question` into a small form: answer, Check, see why, Try again. Progress is kept in
// localStorage per book and question id. A Part's review page (`.bf-review`) puts due
// questions first and counts what is mastered per chapter; the review index
// (`.bf-review-index`) counts, from the question ids alone, what is wrong, due and mastered in
// each chapter of each Part.

(() => {
    "use strict";

    const ROOT = typeof path_to_root === "string" ? path_to_root : "";
    // The site's root path names the book, so two books on one host keep separate progress.
    const BOOK = new URL(ROOT || "./", location.href).pathname;
    const DAY_MS = 24 * 60 * 60 * 1000;

    const key = (id) => `bf-quiz:v1:${BOOK}:${id}`;

    function load(id) {
        try {
            return JSON.parse(localStorage.getItem(key(id)));
        } catch {
            return null;
        }
    }

    function save(id, state) {
        try {
            localStorage.setItem(key(id), JSON.stringify(state));
        } catch {
            // Storage full or disabled: the quiz still works for this visit.
        }
    }

    function forget(id) {
        try {
            localStorage.removeItem(key(id));
        } catch {
            // Nothing stored.
        }
    }

    function record(id, right) {
        const state = load(id) ?? { attempts: 0, streak: 0 };
        state.attempts += 1;
        state.last = Date.now();
        state.right = right;
        state.streak = right ? state.streak + 1 : 0;
        save(id, state);
        return state;
    }

    // A simple spaced-repetition schedule: after n right answers in a row, the question is due
    // again after 2^(n-1) days. Lower rank = review sooner.
    function dueRank(state, now = Date.now()) {
        if (!state) return 1; // never answered
        if (!state.right) return 0; // wrong last time
        const interval = DAY_MS * 2 ** Math.max(0, state.streak - 1);
        return now - state.last >= interval ? 2 : 3;
    }

    const mastered = (state) => Boolean(state?.right && state.streak >= 2);

    const { el } = window.bfDom;

    const normalise = (text) => text.trim().split(/\s+/).join(" ").toLowerCase();

    function describe(state) {
        if (!state) return "";
        const when = new Date(state.last).toLocaleDateString();
        const tries = state.attempts === 1 ? "1 attempt" : `${state.attempts} attempts`;
        return `Last answer: ${state.right ? "right" : "wrong"} (${when}, ${tries}).`;
    }

    let formCount = 0;

    // A question's form (its inputs and buttons) is built when the question comes within a
    // screen of the viewport, not on load. Every form control in a page costs its first load:
    // on DOMContentLoaded Chromium looks at each one (autofill), which lays out the block around
    // it even where `content-visibility: auto` would skip it; the review page holds every quiz.
    // Until then the question reads as the preprocessor wrote it (prompt, options). Its state
    // (right, wrong, new) is set at once, so the review page can order by it.
    const pending = new Map(); // question element -> its build function
    const nearViewport = typeof IntersectionObserver === "function"
        ? new IntersectionObserver((entries) => {
            for (const entry of entries) if (entry.isIntersecting) build(entry.target);
        }, { rootMargin: "100% 0px" })
        : null;

    function build(question) {
        const make = pending.get(question);
        if (!make) return;
        pending.delete(question);
        nearViewport?.unobserve(question);
        make();
    }

    function whenNear(question, make) {
        pending.set(question, make);
        if (nearViewport) nearViewport.observe(question);
        else build(question);
        // Reached another way (a link to an id inside it, a search hit): build it then.
        question.addEventListener("focusin", () => build(question), { once: true });
    }

    function attachQuestion(question, onChange) {
        const id = question.dataset.questionId;
        const kind = question.dataset.kind;
        const details = question.querySelector("details.bf-quiz-answer");
        const previous = el("p", { class: "bf-previous" });
        question.append(previous);
        details.hidden = true;

        function refresh() {
            const state = load(id);
            question.dataset.state = state ? (state.right ? "right" : "wrong") : "new";
            previous.textContent = describe(state);
        }

        whenNear(question, () => buildForm(question, { id, kind, details, refresh, onChange }));
        refresh();
        return { id, refresh };
    }

    function buildForm(question, { id, kind, details, refresh, onChange }) {
        const prompt = question.querySelector(".bf-prompt");
        prompt.id = `bf-prompt-${++formCount}`;
        const form = el("form", { class: "bf-quiz-form" });
        // The answer's controls, named by the prompt (a <form> may not take role="group").
        const group = el("div", { class: "bf-quiz-group", role: "group", "aria-labelledby": prompt.id });
        const inputs = [];
        if (kind === "choice") {
            const options = question.querySelector("ul.bf-options");
            const items = [...options.children];
            const rightCount = items.filter((li) => li.dataset.correct === "true").length;
            const type = rightCount > 1 ? "checkbox" : "radio";
            if (rightCount > 1) group.append(el("p", { class: "bf-quiz-hint", text: `Pick ${rightCount}.` }));
            const list = el("ul", { class: "bf-choices" });
            items.forEach((li, index) => {
                const input = el("input", { type, name: `bf-q-${formCount}`, value: String(index) });
                input.dataset.correct = li.dataset.correct;
                inputs.push(input);
                const label = el("label", {}, input, " ");
                label.append(...li.childNodes);
                list.append(el("li", {}, label));
            });
            options.remove();
            group.append(list);
        } else {
            const input = el("input", { type: "text", class: "bf-short-input", autocomplete: "off", spellcheck: "false", "aria-label": "Your answer" });
            inputs.push(input);
            group.append(el("label", { class: "bf-short-label" }, "Your answer: ", input));
        }
        const check = el("button", { type: "submit", class: "bf-check-button", text: "Check" });
        const retry = el("button", { type: "button", class: "bf-retry-button", text: "Try again", hidden: true });
        const feedback = el("p", { class: "bf-feedback", role: "status", "aria-live": "polite" });
        form.append(group, el("div", { class: "bf-quiz-actions" }, check, retry), feedback);
        question.insertBefore(form, details);

        function answeredRight() {
            if (kind === "choice") return inputs.every((input) => input.checked === (input.dataset.correct === "true"));
            const accepted = JSON.parse(question.dataset.accepted || "[]");
            return accepted.includes(normalise(inputs[0].value));
        }

        form.addEventListener("submit", (event) => {
            event.preventDefault();
            const answered = kind === "choice" ? inputs.some((input) => input.checked) : inputs[0].value.trim() !== "";
            if (!answered) {
                feedback.className = "bf-feedback";
                feedback.textContent = kind === "choice" ? "Pick an option first." : "Type an answer first.";
                return;
            }
            const right = answeredRight();
            record(id, right);
            feedback.className = `bf-feedback ${right ? "bf-right" : "bf-wrong"}`;
            feedback.textContent = right ? "Right." : "Not quite. Here is the answer and why:";
            for (const input of inputs) input.disabled = true;
            check.hidden = true;
            retry.hidden = false;
            details.hidden = false;
            details.open = true;
            refresh();
            onChange?.();
            retry.focus();
        });

        retry.addEventListener("click", () => {
            for (const input of inputs) {
                input.disabled = false;
                input.checked = false;
                if (input.type === "text") input.value = "";
            }
            feedback.textContent = "";
            details.open = false;
            details.hidden = true;
            check.hidden = false;
            retry.hidden = true;
            inputs[0].focus();
        });
    }

    function attachQuiz(section) {
        const questions = [...section.querySelectorAll(".bf-question")].map((q) => attachQuestion(q));
        const reset = el("button", { type: "button", class: "bf-quiz-reset", text: "Forget my answers to this quiz" });
        reset.addEventListener("click", () => {
            for (const question of questions) {
                forget(question.id);
                question.refresh();
            }
        });
        section.append(el("div", { class: "bf-quiz-toolbar" }, reset));
    }

    function attachReview(review) {
        const sections = [...review.querySelectorAll("section.bf-review-chapter")];
        const chapters = sections.map((section) => ({
            name: section.dataset.chapter,
            link: section.querySelector("h2 a").cloneNode(true),
            questions: [...section.querySelectorAll(".bf-question")],
        }));
        const all = chapters.flatMap((chapter, c) =>
            chapter.questions.map((node, i) => ({ node, chapter, order: c * 1000 + i, view: null })),
        );
        for (const item of all) {
            item.view = attachQuestion(item.node, () => summarise());
            item.node.prepend(el("p", { class: "bf-question-chapter" }, item.chapter.link.cloneNode(true)));
        }
        const select = el("select", { id: "bf-review-filter" }, el("option", { value: "", text: "All chapters" }));
        for (const chapter of chapters) select.append(el("option", { value: chapter.name, text: chapter.name }));
        const summary = el("table", { class: "bf-review-summary" });
        const list = el("div", { class: "bf-review-list" });
        const reorder = el("button", { type: "button", class: "bf-review-reorder", text: "Put due questions first again" });
        review.append(
            el("div", { class: "bf-review-controls" }, el("label", { for: "bf-review-filter", text: "Chapter: " }), select, " ", reorder),
            summary,
            list,
        );
        for (const section of sections) section.remove();

        function summarise() {
            summary.replaceChildren(el("tr", {}, el("th", { text: "chapter" }), el("th", { text: "mastered" }), el("th", { text: "due" })));
            for (const chapter of chapters) {
                const states = chapter.questions.map((node) => load(node.dataset.questionId));
                const done = states.filter(mastered).length;
                const due = states.filter((state) => dueRank(state) <= 2).length;
                summary.append(
                    el("tr", { "data-chapter": chapter.name }, el("td", {}, chapter.link.cloneNode(true)), el("td", { text: `${done} of ${states.length}` }), el("td", { text: String(due) })),
                );
            }
        }

        function order() {
            const now = Date.now();
            const sorted = [...all].sort((a, b) => dueRank(load(a.view.id), now) - dueRank(load(b.view.id), now) || a.order - b.order);
            list.replaceChildren(...sorted.map((item) => item.node));
            filter();
        }

        function filter() {
            for (const item of all) item.node.hidden = select.value !== "" && item.chapter.name !== select.value;
        }

        select.addEventListener("change", filter);
        reorder.addEventListener("click", order);
        summarise();
        order();
    }

    // The review index holds no questions, only each chapter's question ids: it adds the
    // columns wrong, due and mastered to each Part's table, and a line for the whole book.
    function attachReviewIndex(index) {
        const rows = [...index.querySelectorAll("tr[data-question-ids]")];
        const counts = (questionIds) => {
            const now = Date.now();
            const states = questionIds.map(load);
            return {
                wrong: states.filter((state) => dueRank(state, now) === 0).length,
                due: states.filter((state) => dueRank(state, now) <= 2).length,
                done: states.filter(mastered).length,
            };
        };
        for (const table of index.querySelectorAll("table.bf-review-summary")) {
            const head = table.querySelector("thead tr");
            for (const name of ["wrong last time", "due", "mastered"]) head.append(el("th", { scope: "col", text: name }));
        }
        const cells = rows.map((row) => {
            const ids = JSON.parse(row.dataset.questionIds);
            const added = [el("td", { class: "bf-review-wrong" }), el("td", { class: "bf-review-due" }), el("td", { class: "bf-review-mastered" })];
            row.append(...added);
            return { ids, added };
        });
        const total = el("p", { class: "bf-review-total", role: "status" });
        index.prepend(total);
        function refresh() {
            let all = { wrong: 0, due: 0, done: 0, questions: 0 };
            for (const { ids: questionIds, added } of cells) {
                const { wrong, due, done } = counts(questionIds);
                added[0].textContent = String(wrong);
                added[1].textContent = String(due);
                added[2].textContent = `${done} of ${questionIds.length}`;
                all = { wrong: all.wrong + wrong, due: all.due + due, done: all.done + done, questions: all.questions + questionIds.length };
            }
            total.textContent = `In the whole book: ${all.wrong} answered wrong last time, ${all.due} due (wrong, new or due again), ${all.done} of ${all.questions} mastered.`;
        }
        refresh();
        // Answers given in another tab count when this one is shown again.
        document.addEventListener("visibilitychange", () => {
            if (document.visibilityState === "visible") refresh();
        });
    }

    function start() {
        for (const index of document.querySelectorAll(".bf-review-index")) attachReviewIndex(index);
        for (const review of document.querySelectorAll(".bf-review")) attachReview(review);
        for (const section of document.querySelectorAll("section.bf-quiz")) {
            if (!section.closest(".bf-review")) attachQuiz(section);
        }
    }

    // For the browser tests (axe checks every form at once): build every question's form now.
    window.bfQuiz = { buildAll: () => [...pending.keys()].forEach(build) };

    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
    else start();
})();
