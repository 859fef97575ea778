// Starts the interactive API documentation on /api/v1/docs (kept out of the page
// itself so the Content-Security-Policy can forbid inline scripts).
window.addEventListener("DOMContentLoaded", function () {
  window.SwaggerUIBundle({
    url: document.body.dataset.openapiUrl,
    dom_id: "#swagger-ui",
    deepLinking: true,
    persistAuthorization: false,
  });
});
