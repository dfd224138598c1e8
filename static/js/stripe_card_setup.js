// Adding a card: Stripe Elements collects the number in Stripe's own frame (it never reaches us),
// then the form tells the server, which asks Stripe for the outcome.
(function () {
  const stripe = Stripe(JSON.parse(document.getElementById("publishable-key").textContent));
  const clientSecret = JSON.parse(document.getElementById("client-secret").textContent);
  const card = stripe.elements().create("card");
  card.mount("#card-element");
  const form = document.getElementById("setup-form");
  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    document.getElementById("card-submit").disabled = true;
    const result = await stripe.confirmCardSetup(clientSecret, {payment_method: {card: card}});
    if (result.error) {
      document.getElementById("card-errors").textContent = result.error.message;
      document.getElementById("card-submit").disabled = false;
      return;
    }
    form.submit();  // the server asks Stripe for the outcome: nothing from the browser is trusted
  });
})();
