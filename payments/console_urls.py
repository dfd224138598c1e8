"""Console pages of payments, included by the console's URLconf inside its `console` namespace:

    path("console/", include("payments.console_urls")),
"""

from django.urls import path

from payments import views

urlpatterns = [
    path("payment-methods/", views.payment_methods, name="payment-methods"),
    path("payment-methods/add/", views.payment_method_add, name="payment-method-add"),
    path("payment-methods/setups/<int:setup_id>/done/", views.payment_method_setup_done,
         name="payment-method-setup-done"),
    path("payment-methods/<int:method_id>/default/", views.payment_method_default, name="payment-method-default"),
    path("payment-methods/<int:method_id>/remove/", views.payment_method_delete, name="payment-method-remove"),
    path("payments/<int:payment_id>/authenticate/", views.payment_authenticate, name="payment-authenticate"),
    path("payments/<int:payment_id>/authenticate/done/", views.payment_authenticate_done,
         name="payment-authenticate-done"),
]
