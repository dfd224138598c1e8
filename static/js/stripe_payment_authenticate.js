// 3-D Secure: Stripe.js runs the bank's step; the form then tells the server, which asks Stripe.
(function () {
  const stripe = Stripe(JSON.parse(document.getElementById("publishable-key").textContent));
  const clientSecret = JSON.parse(document.getElementById("client-secret").textContent);
  const form = document.getElementById("auth-form");
  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    document.getElementById("auth-submit").disabled = true;
    const result = await stripe.confirmCardPayment(clientSecret);
    if (result.error) {
      document.getElementById("auth-errors").textContent = result.error.message;
    }
    form.submit();  // the server asks Stripe for the outcome either way
  });
})();
