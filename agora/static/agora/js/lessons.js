// Lesson widgets (agora/learn): show a slider's value as it moves, and turn a click or a drag on
// a latent-space map into the map's two sliders. The figures themselves come from the server
// (htmx refreshes the panel when a setting changes).
(function () {
  "use strict";

  document.addEventListener("input", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches(".widget-controls input[type=range]")) return;
    var out = document.getElementById(input.id + "-value");
    if (out) out.textContent = input.value;
  });

  function setFromMap(section, image, clientX, clientY) {
    var extent = parseFloat(image.dataset.extent);
    var width = parseFloat(image.dataset.mapWidth);
    var height = parseFloat(image.dataset.mapHeight);
    var inset = parseFloat(image.dataset.inset);
    var box = image.getBoundingClientRect();
    var scale = box.width / image.naturalWidth; // the picture may be shown smaller (phones)
    var px = (clientX - box.left) / scale;
    var py = (clientY - box.top) / scale;
    if (px > width || py > height) return; // the decoded image beside the map
    var fx = (px - inset) / (width - 2 * inset);
    var fy = (py - inset) / (height - 2 * inset);
    var zx = Math.max(-extent, Math.min(extent, -extent + fx * 2 * extent));
    var zy = Math.max(-extent, Math.min(extent, extent - fy * 2 * extent));
    var form = section.querySelector(".widget-controls");
    var ix = form.querySelector("[name='" + section.dataset.mapX + "']");
    var iy = form.querySelector("[name='" + section.dataset.mapY + "']");
    ix.value = zx.toFixed(1);
    iy.value = zy.toFixed(1);
    [ix, iy].forEach(function (input) { input.dispatchEvent(new Event("input", { bubbles: true })); });
    iy.dispatchEvent(new Event("change", { bubbles: true }));
  }

  // A panel refused (a visitor asking for new settings, a member past the quota) still says why:
  // htmx leaves error responses out unless told otherwise.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    var status = event.detail.xhr.status;
    var said = status === 403 || (status === 400 && event.detail.xhr.responseText.indexOf("widget-panel") !== -1);
    if (said && target && target.classList.contains("widget-panel")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // Enter in a widget's text field (a prompt) refreshes the figure instead of leaving the page.
  document.addEventListener("keydown", function (event) {
    var input = event.target;
    if (event.key !== "Enter" || !input.matches || !input.matches(".widget-controls input[type=text]")) return;
    event.preventDefault();
    input.dispatchEvent(new Event("change", { bubbles: true }));
  });

  document.addEventListener("pointerup", function (event) {
    var image = event.target;
    if (!image.matches || !image.matches(".lesson-widget[data-map-x] img.widget-figure[data-extent]")) return;
    setFromMap(image.closest(".lesson-widget"), image, event.clientX, event.clientY);
  });
  // A drag ends where the pointer is released: the pointerup above decodes that point.
  document.addEventListener("dragstart", function (event) {
    if (event.target.matches && event.target.matches("img.widget-figure[data-extent]")) event.preventDefault();
  });
})();
