"""French and German for the invoicing catalogs: `python locale/translations.py` fills the
.po files made by `manage.py makemessages` (then run `manage.py compilemessages`)."""

from pathlib import Path

from babel.messages.pofile import read_po, write_po

T = {
    "above %(start)s": ("au-delà de %(start)s", "über %(start)s"),
    "%(start)s to %(end)s": ("%(start)s à %(end)s", "%(start)s bis %(end)s"),
    "Reverse charge: VAT to be accounted for by the recipient (Article 196, Council Directive 2006/112/EC).": (
        "Autoliquidation : TVA due par le preneur (article 196 de la directive 2006/112/CE du Conseil).",
        "Steuerschuldnerschaft des Leistungsempfängers (Reverse Charge, Artikel 196 der Richtlinie 2006/112/EG"
        " des Rates)."),
    "Exempt from tax.": ("Exonéré de taxe.", "Steuerbefreit."),
    "Credit note": ("Avoir", "Gutschrift"),
    "Number": ("Numéro", "Nummer"),
    "Issue date": ("Date d’émission", "Rechnungsdatum"),
    "For invoice": ("Pour la facture", "Zur Rechnung"),
    "VOID": ("ANNULÉE", "STORNIERT"),
    "Bill to": ("Facturé à", "Rechnungsempfänger"),
    "Tax ID": ("N° de TVA", "USt-IdNr."),
    "Reason": ("Motif", "Grund"),
    "Description": ("Désignation", "Beschreibung"),
    "Tax": ("Taxe", "Steuer"),
    "Tax amount": ("Montant de taxe", "Steuerbetrag"),
    "Amount": ("Montant", "Betrag"),
    "Subtotal": ("Sous-total", "Zwischensumme"),
    "Total credited": ("Total crédité", "Gutgeschrieben"),
    "Hello %(name)s,": ("Bonjour %(name)s,", "Guten Tag %(name)s,"),
    "Open your billing console": ("Ouvrir votre espace de facturation", "Zu Ihrem Abrechnungsportal"),
    "Credit note %(number)s": ("Avoir %(number)s", "Gutschrift %(number)s"),
    "We issued credit note %(number)s for %(total)s against invoice %(invoice)s.": (
        "Nous avons émis l’avoir %(number)s de %(total)s sur la facture %(invoice)s.",
        "Wir haben die Gutschrift %(number)s über %(total)s zur Rechnung %(invoice)s ausgestellt."),
    "Your invoice %(number)s for %(total)s is attached.": (
        "Vous trouverez ci-joint votre facture %(number)s d’un montant de %(total)s.",
        "Anbei Ihre Rechnung %(number)s über %(total)s."),
    "It is already paid: nothing more to do.": ("Elle est déjà réglée : vous n’avez rien à faire.",
                                                "Sie ist bereits bezahlt: Sie müssen nichts weiter tun."),
    "Amount due: %(due)s, by %(date)s.": ("Montant dû : %(due)s, avant le %(date)s.",
                                          "Fälliger Betrag: %(due)s, zahlbar bis %(date)s."),
    "Invoice %(number)s from %(operator)s": ("Facture %(number)s de %(operator)s",
                                             "Rechnung %(number)s von %(operator)s"),
    "Invoice %(number)s was due on %(date)s; %(due)s is still unpaid.": (
        "La facture %(number)s était due le %(date)s ; %(due)s reste impayé.",
        "Die Rechnung %(number)s war am %(date)s fällig; %(due)s sind noch offen."),
    "Please pay it as soon as possible, or contact us if something is wrong.": (
        "Merci de la régler au plus vite, ou de nous contacter en cas d’erreur.",
        "Bitte begleichen Sie sie so bald wie möglich oder kontaktieren Sie uns, falls etwas nicht stimmt."),
    "Invoice %(number)s is overdue": ("Facture %(number)s en retard de paiement",
                                      "Rechnung %(number)s ist überfällig"),
    "We could not collect %(amount)s for invoice %(number)s.": (
        "Nous n’avons pas pu encaisser %(amount)s pour la facture %(number)s.",
        "Wir konnten %(amount)s für die Rechnung %(number)s nicht einziehen."),
    "We will try again on %(date)s.": ("Nous réessaierons le %(date)s.", "Wir versuchen es am %(date)s erneut."),
    "Please update your payment method in the billing console.": (
        "Merci de mettre à jour votre moyen de paiement dans votre espace de facturation.",
        "Bitte aktualisieren Sie Ihre Zahlungsmethode im Abrechnungsportal."),
    "Payment failed for invoice %(number)s": ("Échec du paiement de la facture %(number)s",
                                              "Zahlung für Rechnung %(number)s fehlgeschlagen"),
    "We received your payment of %(amount)s for invoice %(number)s. Thank you.": (
        "Nous avons bien reçu votre paiement de %(amount)s pour la facture %(number)s. Merci.",
        "Wir haben Ihre Zahlung über %(amount)s für die Rechnung %(number)s erhalten. Vielen Dank."),
    "Payment of %(amount)s received": ("Paiement de %(amount)s reçu", "Zahlung über %(amount)s erhalten"),
    "Your subscription to %(plan)s is canceled as of %(date)s. We are sorry to see you go.": (
        "Votre abonnement %(plan)s est résilié à compter du %(date)s. Nous regrettons votre départ.",
        "Ihr Abonnement %(plan)s ist zum %(date)s gekündigt. Schade, dass Sie gehen."),
    "Your %(plan)s subscription is canceled": ("Votre abonnement %(plan)s est résilié",
                                               "Ihr Abonnement %(plan)s ist gekündigt"),
    "Your subscription to %(plan)s has started. The current period ends on %(date)s.": (
        "Votre abonnement %(plan)s a commencé. La période en cours se termine le %(date)s.",
        "Ihr Abonnement %(plan)s hat begonnen. Der aktuelle Zeitraum endet am %(date)s."),
    "Welcome to %(plan)s": ("Bienvenue dans %(plan)s", "Willkommen bei %(plan)s"),
    "Your subscription to %(plan)s renews on %(date)s.": ("Votre abonnement %(plan)s sera renouvelé le %(date)s.",
                                                          "Ihr Abonnement %(plan)s verlängert sich am %(date)s."),
    "Estimated next invoice: %(amount)s (usage so far included).": (
        "Prochaine facture estimée : %(amount)s (consommation à ce jour comprise).",
        "Voraussichtliche nächste Rechnung: %(amount)s (bisherige Nutzung eingerechnet)."),
    "Your %(plan)s subscription renews on %(date)s": ("Votre abonnement %(plan)s est renouvelé le %(date)s",
                                                      "Ihr Abonnement %(plan)s verlängert sich am %(date)s"),
    "You have used %(threshold)s%% of your %(metric)s limit for this period.": (
        "Vous avez utilisé %(threshold)s %% de votre limite %(metric)s pour cette période.",
        "Sie haben %(threshold)s %% Ihres Kontingents für %(metric)s in diesem Zeitraum verbraucht."),
    "The period ends on %(date)s.": ("La période se termine le %(date)s.", "Der Zeitraum endet am %(date)s."),
    "%(threshold)s%% of your %(metric)s limit reached": ("%(threshold)s %% de votre limite %(metric)s atteints",
                                                         "%(threshold)s %% Ihres Kontingents für %(metric)s erreicht"),
    "Invoice": ("Facture", "Rechnung"),
    "Draft": ("Brouillon", "Entwurf"),
    "Due date": ("Date d’échéance", "Fälligkeitsdatum"),
    "Period": ("Période", "Zeitraum"),
    "PAID": ("PAYÉE", "BEZAHLT"),
    "UNCOLLECTIBLE": ("IRRÉCOUVRABLE", "UNEINBRINGLICH"),
    "Quantity": ("Quantité", "Menge"),
    "Unit price": ("Prix unitaire", "Einzelpreis"),
    "%(units)s units included": ("%(units)s unités incluses", "%(units)s Einheiten inklusive"),
    "Prorated: %(factor)s of the period": ("Au prorata : %(factor)s de la période",
                                           "Anteilig: %(factor)s des Zeitraums"),
    "Tier": ("Palier", "Staffel"),
    "included": ("incluse", "enthalten"),
    "on %(base)s": ("sur %(base)s", "auf %(base)s"),
    "Total": ("Total", "Gesamt"),
    "Credit applied": ("Crédit utilisé", "Verrechnetes Guthaben"),
    "Credit notes": ("Avoirs", "Gutschriften"),
    "Paid": ("Payé", "Bezahlt"),
    "Amount due": ("Montant dû", "Fälliger Betrag"),
    "Payment terms: %(days)s days net, due on %(due)s.": (
        "Conditions de paiement : %(days)s jours net, à régler avant le %(due)s.",
        "Zahlungsbedingungen: %(days)s Tage netto, fällig am %(due)s."),
    "Please pay by bank transfer quoting the invoice number.": (
        "Merci de régler par virement en indiquant le numéro de facture.",
        "Bitte überweisen Sie den Betrag unter Angabe der Rechnungsnummer."),
    "Invoices": ("Factures", "Rechnungen"),
    "Next invoice": ("Prochaine facture", "Nächste Rechnung"),
    "Plan": ("Offre", "Tarif"),
    "Renews on": ("Renouvellement le", "Verlängerung am"),
    "Estimate so far": ("Estimation à ce jour", "Bisherige Schätzung"),
    "Status": ("Statut", "Status"),
    "All": ("Toutes", "Alle"),
    "Filter": ("Filtrer", "Filtern"),
    "No invoices yet.": ("Aucune facture pour l’instant.", "Noch keine Rechnungen."),
    "Newer": ("Plus récentes", "Neuere"),
    "Older": ("Plus anciennes", "Ältere"),
    "Download PDF": ("Télécharger le PDF", "PDF herunterladen"),
    "Download e-invoice (UBL)": ("Télécharger la facture électronique (UBL)", "E-Rechnung herunterladen (UBL)"),
    "Discounts": ("Remises", "Rabatte"),
    # The legal content of invoices and credit notes (invoicing/legal.py, invoicing/documents/, the templates).
    "Page %(page)s of %(pages)s": ("Page %(page)s sur %(pages)s", "Seite %(page)s von %(pages)s"),
    "VAT number": ("N° de TVA intracommunautaire", "USt-IdNr."),
    "Registration": ("Immatriculation", "Registereintrag"),
    "Tax summary": ("Récapitulatif des taxes", "Steuerübersicht"),
    "Rate": ("Taux", "Satz"),
    "Taxable amount": ("Base imposable", "Bemessungsgrundlage"),
    "included in the prices": ("incluse dans les prix", "in den Preisen enthalten"),
    "Billing period": ("Période de facturation", "Abrechnungszeitraum"),
    "Total excl. tax": ("Total HT", "Nettobetrag"),
    "Discount": ("Remise", "Rabatt"),
    "Bank transfer": ("Virement bancaire", "Überweisung"),
    "Reference": ("Référence", "Verwendungszweck"),
    "Corrects invoice %(number)s of %(date)s": ("Rectifie la facture %(number)s du %(date)s",
                                                "Korrigiert die Rechnung %(number)s vom %(date)s"),
    "Exempt": ("Exonéré", "Steuerfrei"),
    "No tax charged: no tax rate applies to the billing address.": (
        "Aucune taxe facturée : aucun taux ne s’applique à l’adresse de facturation.",
        "Keine Steuer berechnet: Für die Rechnungsadresse gilt kein Steuersatz."),
    "Export outside the EU — VAT not applicable (place of supply outside the EU, Articles 44 and 59 of Council "
    "Directive 2006/112/EC).": (
        "Exportation hors de l’UE — TVA non applicable (lieu de la prestation hors de l’UE, articles 44 et 59 de la "
        "directive 2006/112/CE du Conseil).",
        "Ausfuhr außerhalb der EU — keine Umsatzsteuer (Ort der Leistung außerhalb der EU, Artikel 44 und 59 der "
        "Richtlinie 2006/112/EG des Rates)."),
    "Late payment: penalties at three times the French legal interest rate, and a fixed indemnity of €40 for "
    "recovery costs (Articles L441-10 and D441-5 of the French Commercial Code). No discount for early payment.": (
        "Pénalités de retard : trois fois le taux d’intérêt légal ; indemnité forfaitaire pour frais de recouvrement "
        ": 40 € (articles L441-10 et D441-5 du Code de commerce). Pas d’escompte pour paiement anticipé.",
        "Bei Zahlungsverzug: Verzugszinsen in Höhe des Dreifachen des französischen gesetzlichen Zinssatzes und eine "
        "Pauschale von 40 € für Beitreibungskosten (Artikel L441-10 und D441-5 des französischen Handelsgesetzbuchs)."
        " Kein Skonto bei vorzeitiger Zahlung."),
    "in advance": ("terme à échoir", "im Voraus"),
    "in arrears": ("terme échu", "nachträglich"),
    "Fees are billed in advance for the period ahead; usage is billed in arrears for the period that ended.": (
        "Les abonnements sont facturés à terme à échoir pour la période à venir ; la consommation à terme échu pour "
        "la période écoulée.",
        "Gebühren werden im Voraus für den kommenden Zeitraum berechnet, die Nutzung nachträglich für den "
        "abgelaufenen Zeitraum."),
    # How a line is described (invoicing/statement.py: the console and the PDF alike).
    "%(units)s %(unit)s included": ("%(units)s %(unit)s inclus", "%(units)s %(unit)s inklusive"),
    "%(price)s per %(per)s": ("%(price)s par %(per)s", "%(price)s pro %(per)s"),
    "prorated: %(share)s of the period": ("au prorata : %(share)s de la période", "anteilig: %(share)s des Zeitraums"),
    "tiered": ("par paliers", "gestaffelt"),
    "tier %(n)s: %(qty)s %(unit)s at %(price)s": ("palier %(n)s : %(qty)s %(unit)s à %(price)s",
                                                   "Stufe %(n)s: %(qty)s %(unit)s zu %(price)s"),
    "(started packages)": ("(paquets entamés)", "(angefangene Pakete)"),
    "usage that arrived after the period was invoiced": ("consommation reçue après la facturation de la période",
                                                         "Nutzung, die nach der Abrechnung des Zeitraums einging"),
}


def fill(language: str, index: int) -> list[str]:
    path = Path(__file__).parent / language / "LC_MESSAGES" / "django.po"
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    missing = []
    for msgid in T:  # a message written here first (not extracted yet) is added, so the documents show it now
        if msgid not in catalog:
            catalog.add(msgid, flags=("python-format",) if "%(" in msgid else ())
    for message in catalog:
        if not message.id:
            continue
        if message.id in T:
            message.string = T[message.id][index]
            message.flags.discard("fuzzy")
        else:
            missing.append(message.id)
    with path.open("wb") as handle:
        write_po(handle, catalog, width=100)
    return missing


if __name__ == "__main__":
    for lang, i in (("fr", 0), ("de", 1)):
        for msgid in fill(lang, i):
            print(f"{lang}: untranslated {msgid!r}")
