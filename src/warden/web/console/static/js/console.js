/* Warden console: the little JavaScript the pages need. Loaded from /static (CSP script-src 'self');
   no inline script and no event-handler attributes anywhere. Everything works from the keyboard. */
(function () {
  "use strict";

  /* htmx requests carry the session's CSRF token (the forms carry it as a field). */
  document.addEventListener("htmx:configRequest", function (event) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta && meta.content) {
      event.detail.headers["X-CSRF-Token"] = meta.content;
    }
  });

  /* A message blurred for its content: the button shows it (and blurs it again). */
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-reveal]") : null;
    if (!button) {
      return;
    }
    var target = document.getElementById(button.getAttribute("aria-controls"));
    if (!target) {
      return;
    }
    var show = button.getAttribute("aria-expanded") !== "true";
    target.classList.toggle("is-concealed", !show);
    if (show) {
      target.removeAttribute("aria-hidden");
      target.removeAttribute("inert");
    } else {
      target.setAttribute("aria-hidden", "true");
      target.setAttribute("inert", "");
    }
    button.setAttribute("aria-expanded", show ? "true" : "false");
    button.textContent = show ? button.getAttribute("data-hide-label") : button.getAttribute("data-show-label");
  });

  /* Clocks (SLA, approval due): "in 14 min" / "3 min ago", kept current. */
  function relative(moment, now) {
    var seconds = Math.round((moment - now) / 1000);
    var minutes = Math.floor(Math.abs(seconds) / 60);
    var amount;
    if (minutes < 1) {
      amount = "less than a minute";
    } else if (minutes < 120) {
      amount = minutes + " min";
    } else if (minutes < 48 * 60) {
      amount = Math.floor(minutes / 60) + " h";
    } else {
      amount = Math.floor(minutes / 1440) + " days";
    }
    return seconds >= 0 ? "in " + amount : amount + " ago";
  }

  function tick() {
    var now = Date.now();
    var clocks = document.querySelectorAll("time[data-clock]");
    for (var i = 0; i < clocks.length; i += 1) {
      var moment = Date.parse(clocks[i].getAttribute("datetime"));
      if (!isNaN(moment)) {
        clocks[i].textContent = relative(moment, now);
      }
    }
  }
  window.setInterval(tick, 30000);

  /* After a failed form, the error summary takes the focus so that it is read out first. */
  function focusErrors() {
    var summary = document.querySelector("[data-error-summary]");
    if (summary) {
      summary.focus();
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", focusErrors);
  } else {
    focusErrors();
  }
})();
