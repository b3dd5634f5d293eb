// calfspec HTML report: filter, search and sort the trials. The page reads fully without this script;
// the Content-Security-Policy allows exactly this script by its hash, and nothing it does builds markup
// from report data (it only toggles `hidden` and moves existing elements).
(function () {
  "use strict";
  var form = document.getElementById("filters");
  var list = document.getElementById("case-list");
  if (!form || !list) { return; }
  var cases = Array.prototype.slice.call(list.querySelectorAll("article.case"));
  var count = document.getElementById("shown-count");
  var keys = ["verdict", "severity", "tag", "rule", "condition", "expected", "given", "q"];
  form.hidden = false;

  function has(words, word) { return (" " + (words || "") + " ").indexOf(" " + word + " ") >= 0; }

  function apply() {
    var f = {};
    keys.forEach(function (k) { f[k] = form.elements[k].value; });
    var q = f.q.trim().toLowerCase();
    var shown = 0;
    cases.forEach(function (el) {
      var d = el.dataset;
      var ok = (!f.verdict || d.verdict === f.verdict) &&
        (!f.severity || d.severity === f.severity) &&
        (!f.tag || has(d.tags, f.tag)) &&
        (!f.rule || has(d.rules, f.rule)) &&
        (!f.condition || has(d.conditions, f.condition)) &&
        (!f.expected || d.expected === f.expected) &&
        (!f.given || d.given === f.given) &&
        (!q || el.textContent.toLowerCase().indexOf(q) >= 0);
      el.hidden = !ok;
      if (ok) { shown += 1; }
    });
    count.textContent = shown + " of " + cases.length + " trial(s) shown";
  }

  function sortBy(key) {
    var num = function (el, name) { return parseFloat(el.dataset[name]); };
    var cmp = {
      harm: function (a, b) { return num(a, "harm") - num(b, "harm"); },
      id: function (a, b) { return a.id < b.id ? -1 : a.id > b.id ? 1 : 0; },
      urgency: function (a, b) { return num(b, "rank") - num(a, "rank") || num(a, "harm") - num(b, "harm"); },
      slowest: function (a, b) { return num(b, "ms") - num(a, "ms"); }
    }[key] || null;
    if (!cmp) { return; }
    cases.slice().sort(cmp).forEach(function (el) { list.appendChild(el); });
  }

  function fromHash() {
    var hash = location.hash;
    if (hash.indexOf("#filter?") !== 0) { return false; }
    var params = new URLSearchParams(hash.slice("#filter?".length));
    keys.forEach(function (k) { form.elements[k].value = params.get(k) || ""; });
    apply();
    document.getElementById("cases").scrollIntoView();
    return true;
  }

  form.addEventListener("input", apply);
  form.addEventListener("change", function (e) {
    if (e.target.name === "sort") { sortBy(e.target.value); }
    apply();
  });
  form.addEventListener("submit", function (e) { e.preventDefault(); });
  form.addEventListener("reset", function () { setTimeout(function () { sortBy("harm"); apply(); }, 0); });
  window.addEventListener("hashchange", fromHash);
  if (!fromHash()) { apply(); }
})();
