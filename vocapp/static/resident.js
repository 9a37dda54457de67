// Optional: hide conditional questions that do not apply. The form works without this;
// hidden questions' answers are ignored by the server anyway.
(function () {
  "use strict";
  var form = document.querySelector("form.survey");
  if (!form) { return; }
  function answer(key) {
    var inputs = form.querySelectorAll('[name="' + key + '"]');
    var values = [];
    inputs.forEach(function (el) {
      if ((el.type === "radio" || el.type === "checkbox") ? el.checked : el.value.trim()) { values.push(el.value); }
    });
    return values;
  }
  function matches(rule) {
    var given = answer(rule.q);
    var box = document.getElementById("q-" + rule.q);
    if (!given.length || (box && box.hidden)) { return false; }
    if (rule.op === "answered") { return true; }
    if (rule.op === "gte" || rule.op === "lte") {
      var bound = parseFloat(rule.values[0]);
      return given.every(function (v) { var n = parseFloat(v); return rule.op === "gte" ? n >= bound : n <= bound; });
    }
    var hit = given.some(function (v) { return rule.values.indexOf(v) !== -1; });
    return rule.op === "in" ? hit : !hit;
  }
  function update() {
    form.querySelectorAll("[data-show-if]").forEach(function (box) {
      var show = matches(JSON.parse(box.getAttribute("data-show-if")));
      box.hidden = !show && !box.classList.contains("has-error");
      var when = box.querySelector(".when");
      if (when) { when.hidden = true; }
    });
  }
  form.addEventListener("change", update);
  update();
  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }
})();
