// Render LaTeX in titles, abstracts and comments with KaTeX (served from our own static
// files). Without JavaScript, or on a formula KaTeX cannot parse, the source stays visible.
document.addEventListener("DOMContentLoaded", function () {
  if (typeof renderMathInElement !== "function") return;
  document.querySelectorAll(".tex").forEach(function (el) {
    renderMathInElement(el, {
      delimiters: [
        { left: "$$", right: "$$", display: true },
        { left: "\\[", right: "\\]", display: true },
        { left: "\\(", right: "\\)", display: false },
        { left: "$", right: "$", display: false },
      ],
      throwOnError: false,
      trust: false,
      maxSize: 20,
      maxExpand: 200,
    });
  });
});
