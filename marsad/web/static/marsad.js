// marsad UI behaviour: media reveal, the network graph, and the API docs page live in
// separate files loaded from /static (the Content-Security-Policy forbids inline script).
(function () {
  "use strict";

  // Media is blurred and greyscale until the reviewer chooses to look (and can hide it again).
  document.addEventListener("click", function (ev) {
    var btn = ev.target.closest && ev.target.closest(".media button.reveal");
    if (!btn) return;
    var fig = btn.closest(".media");
    var shown = fig.classList.toggle("revealed");
    btn.setAttribute("aria-pressed", shown ? "true" : "false");
    var cap = fig.querySelector("figcaption");
    if (cap) cap.textContent = shown ? "Shown: click to blur again" : "Blurred: click to reveal";
  });

  // Clear an old error message when a new htmx request starts.
  document.addEventListener("htmx:beforeRequest", function () {
    var flash = document.getElementById("flash");
    if (flash) flash.textContent = "";
  });

  function drawGraph() {
    var box = document.getElementById("graph");
    var data = document.getElementById("graph-data");
    if (!box || !data || typeof cytoscape !== "function") return;
    var elements = JSON.parse(data.textContent);
    window.marsadGraph = cytoscape({
      container: box,
      elements: elements,
      wheelSensitivity: 0.2,
      maxZoom: 1.6,
      style: [
        { selector: "node", style: { "label": "data(label)", "font-size": 11, "text-valign": "bottom",
                                     "text-margin-y": 4, "width": 18, "height": 18 } },
        { selector: "node[kind = 'account']", style: { "background-color": "#2b6cb0", "shape": "ellipse" } },
        { selector: "node[kind != 'account']", style: { "background-color": "#c05621", "shape": "round-rectangle" } },
        { selector: "edge", style: { "width": 1.5, "line-color": "#a0aec0" } }
      ],
      layout: { name: "cose", animate: false, padding: 30 }
    });
    box.setAttribute("data-nodes", String(window.marsadGraph.nodes().length));
  }
  document.addEventListener("DOMContentLoaded", drawGraph);
})();
