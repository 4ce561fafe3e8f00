// The search page. Live search (htmx) sends, and writes into the address bar, only the fields
// that have a value: "?q=x", not "?q=x&cat=&date_from=&date_to=". On a wide screen the
// filters are unfolded (the page sends them folded unless one is set: a summary opens them
// without JavaScript too).
(function () {
  var WIDE = "(min-width: 48rem)";

  document.addEventListener("htmx:configRequest", function (event) {
    var form = event.detail.elt && event.detail.elt.closest && event.detail.elt.closest(".search-form");
    var data = event.detail.formData;
    if (!form || !data || (event.detail.verb || "get").toLowerCase() !== "get") return;
    var names = [];
    data.forEach(function (_value, name) {
      if (names.indexOf(name) < 0) names.push(name);
    });
    names.forEach(function (name) {
      var filled = data.getAll(name).some(function (value) {
        return typeof value !== "string" || value.trim() !== "";
      });
      if (!filled) data.delete(name);
    });
  });

  function unfold() {
    var fold = document.querySelector(".search-fold");
    if (fold && window.matchMedia && window.matchMedia(WIDE).matches) fold.open = true;
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", unfold);
  else unfold();
})();
