// Participatory budget ballot: updates the running total, what remains and why
// "Confirm my vote" is not possible yet, as boxes are ticked. Progressive
// enhancement only: without this script, "Save" redraws the same figures on the
// server, and the server checks every rule again when a ballot is confirmed.
(function () {
  "use strict";
  var form = document.querySelector("form[data-ballot]");
  if (!form) return;
  var rules;
  try { rules = JSON.parse(form.getAttribute("data-ballot")); } catch (e) { return; }
  var lang = document.documentElement.lang || "fr";
  var boxes = form.querySelectorAll("input[type=checkbox][name=project]");
  var total = form.querySelector("[data-total]");
  var remaining = form.querySelector("[data-remaining]");
  var count = form.querySelector("[data-count]");
  var reasons = form.querySelector("[data-reasons]");
  var confirm = form.querySelector("button[data-confirm]");

  // Amounts as the server writes them (modules/budgets/money.rs).
  var signs = { EUR: "€", USD: "$", GBP: "£" };
  function group(digits, sep) {
    var out = "";
    for (var i = 0; i < digits.length; i++) {
      if (i > 0 && (digits.length - i) % 3 === 0) out += sep;
      out += digits.charAt(i);
    }
    return out;
  }
  function money(units) {
    var negative = units < 0;
    var abs = Math.abs(units);
    var divisor = Math.pow(10, rules.scale);
    var whole = Math.floor(abs / divisor);
    var rest = abs - whole * divisor;
    var fr = lang === "fr";
    var n = group(String(whole), fr ? "\u202f" : ",");
    if (rest > 0) {
      var fraction = String(rest);
      while (fraction.length < rules.scale) fraction = "0" + fraction;
      n += (fr ? "," : ".") + fraction;
    }
    var sign = signs[rules.currency];
    var minus = negative ? "-" : "";
    if (fr) return minus + n + "\u00a0" + (sign || rules.currency);
    return sign ? minus + sign + n : minus + n + " " + rules.currency;
  }
  function say(key, fills) {
    var text = rules.messages[key] || "";
    Object.keys(fills).forEach(function (k) { text = text.split("{" + k + "}").join(fills[k]); });
    return text;
  }
  function plural(key, n) { return key + (n === 1 ? "_one" : "_many"); }

  // The same checks, in the same order, as Budget::shortfalls in tenant-core.
  function shortfalls(n, sum) {
    var out = [];
    if (n === 0) out.push(say("budgets_short_empty", {}));
    else if (n < rules.min) {
      var missing = rules.min - n;
      out.push(say(plural("budgets_short_too_few", missing), { missing: missing, min: rules.min }));
    }
    if (rules.max > 0 && n > rules.max) {
      var excess = n - rules.max;
      out.push(say(plural("budgets_short_too_many", excess), { excess: excess, max: rules.max }));
    }
    if (rules.rule === "knapsack") {
      if (sum > rules.amount) out.push(say("budgets_short_over_budget", { amount: money(sum - rules.amount) }));
      else if (n > 0 && sum < rules.min_spend) {
        out.push(say("budgets_short_min_share", {
          amount: money(rules.min_spend - sum), minimum: money(rules.min_spend), percent: rules.min_share
        }));
      }
    }
    return out;
  }

  function update() {
    var n = 0, sum = 0;
    for (var i = 0; i < boxes.length; i++) {
      if (boxes[i].checked) { n += 1; sum += Number(boxes[i].getAttribute("data-amount")) || 0; }
    }
    if (count) count.textContent = String(n);
    if (total) total.textContent = money(sum);
    if (remaining) {
      remaining.textContent = money(rules.amount - sum);
      remaining.classList.toggle("over", sum > rules.amount);
    }
    var why = shortfalls(n, sum);
    if (reasons) {
      while (reasons.firstChild) reasons.removeChild(reasons.firstChild);
      why.forEach(function (text) {
        var li = document.createElement("li");
        li.textContent = text;
        reasons.appendChild(li);
      });
    }
    if (confirm) confirm.disabled = why.length > 0;
  }
  for (var i = 0; i < boxes.length; i++) boxes[i].addEventListener("change", update);
})();
