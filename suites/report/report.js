(function () {
  "use strict";
  var family = document.getElementById("f-family");
  var state = document.getElementById("f-state");
  var search = document.getElementById("f-search");
  var count = document.getElementById("f-count");
  var none = document.getElementById("no-match");
  var items = document.querySelectorAll("[data-scenario]");
  var total = document.querySelectorAll("tr[data-scenario]").length;
  function matches(el, f, s, q) {
    var st = el.getAttribute("data-state");
    return (!f || el.getAttribute("data-family") === f) &&
      (!s || st === s || (s === "!passed" && st !== "passed")) &&
      (!q || el.getAttribute("data-search").indexOf(q) >= 0 || el.getAttribute("data-scenario").toLowerCase().indexOf(q) >= 0);
  }
  function apply() {
    var f = family.value, s = state.value, q = search.value.trim().toLowerCase(), shown = 0;
    for (var i = 0; i < items.length; i++) {
      var ok = matches(items[i], f, s, q);
      items[i].hidden = !ok;
      if (ok && items[i].tagName === "TR") { shown++; }
    }
    count.textContent = shown + " of " + total + " shown";
    none.hidden = shown > 0;
  }
  function open(id) {
    var el = document.getElementById(id);
    if (!el || el.tagName !== "DETAILS") { return; }
    el.hidden = false;
    el.open = true;
    var prev = document.querySelector("details.hl");
    if (prev) { prev.classList.remove("hl"); }
    el.classList.add("hl");
    el.scrollIntoView({block: "start"});
  }
  function fromHash() {
    if (location.hash.length > 1) { open(decodeURIComponent(location.hash.slice(1))); }
  }
  family.addEventListener("change", apply);
  state.addEventListener("change", apply);
  search.addEventListener("input", apply);
  document.getElementById("filters").addEventListener("submit", function (e) { e.preventDefault(); });
  document.querySelectorAll(".chip[data-state]").forEach(function (b) {
    b.addEventListener("click", function () {
      state.value = state.value === b.getAttribute("data-state") ? "" : b.getAttribute("data-state");
      apply();
      document.getElementById("scenarios").scrollIntoView({block: "start"});
    });
  });
  document.querySelectorAll("a[data-family]").forEach(function (a) {
    a.addEventListener("click", function () { family.value = a.getAttribute("data-family"); apply(); });
  });
  document.querySelectorAll("a.id").forEach(function (a) {
    a.addEventListener("click", function (e) {
      var id = a.getAttribute("href").slice(1);
      if (location.hash === "#" + id) { e.preventDefault(); open(id); }
    });
  });
  window.addEventListener("hashchange", fromHash);
  // A printed (or saved as PDF) report shows every scenario's detail.
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details.scn").forEach(function (d) { d.open = true; });
  });
  apply();
  fromHash();
})();
