# Breakroom web-app: Nederlands.
app-name = Breakroom
skip-to-content = Naar de inhoud
offline-banner = Offline — stand van { $time }
nav-label = Hoofdmenu
nav-home = Start
nav-week = Mijn week
nav-inbox = Berichten
nav-unread = { $count } ongelezen
nav-settings = Instellingen
save = Opslaan
signout = Afmelden

error-title = Er ging iets mis
error-home = Terug naar Start
error-not-found = Deze pagina bestaat niet (meer), of is niet voor jou.
error-forbidden = Dat mag je niet doen. Laad de pagina opnieuw en probeer het nog eens.
error-signed-out = Meld je opnieuw aan.
error-unavailable = Breakroom is nu niet bereikbaar. Probeer het over een minuut opnieuw.
error-invalid = Er klopt iets niet in het formulier.
error-refused = Dat kan nu niet. Laad de pagina opnieuw om de laatste stand te zien.
error-internal = Er ging bij ons iets mis. Probeer het opnieuw.
error-body-refused = De tekst bevat iets wat niet mag: afbeeldingen, HTML of links die niet met https://, http:// of mailto: beginnen.
error-title-refused = De titel is leeg of te lang.
error-invite-code = Deze uitnodigingscode is onbekend, al gebruikt of verlopen. Vraag je leidinggevende om een nieuwe.
error-password-policy = Kies een langer wachtwoord (minstens 12 tekens).
error-field-invalid = Deze waarde klopt niet.
error-throttled = Te veel pogingen. Wacht een paar minuten en probeer het opnieuw.
error-signin-failed = Het e-mailadres, telefoonnummer of wachtwoord klopt niet.
error-cannot-post = Je kunt in geen enkele groep berichten plaatsen.

signin-title = Aanmelden
field-tenant = Bedrijf
field-login = E-mailadres of telefoonnummer
field-password = Wachtwoord
signin-submit = Aanmelden
signin-have-code = Ik heb een uitnodigingscode

activate-title = Account activeren
activate-intro = Vul de uitnodigingscode van je leidinggevende in en kies een wachtwoord.
field-invite-code = Uitnodigingscode
field-new-password = Nieuw wachtwoord
field-language = Taal
language-chain = Zoals mijn bedrijf
activate-submit = Activeren en aanmelden

home-title = Start
home-hello = Hallo { $name }
home-next-shift = Je volgende dienst
home-with = Met { $names }
home-no-shift = Geen dienst gepland in de komende weken.
home-must-reads = Lezen en bevestigen
home-timeline = Nieuws
home-older = Oudere berichten
home-empty = Hier staat nog niets.
paid-length = Betaald: { $length }
acknowledge-post = Gelezen en begrepen
acknowledged = Bevestigd
new-post = Nieuw bericht
react-like = { $count ->
    [0] Leuk
   *[other] Leuk ({ $count })
}
comments-link = { $count ->
    [0] Reageren
    [one] 1 reactie
   *[other] { $count } reacties
}

week-title = Mijn week
week-previous = Vorige week
week-next = Volgende week
week-no-shifts = Geen diensten deze week.
week-total = Totaal betaald: { $length }
week-changes = Wijzigingen in je diensten
week-no-changes = Geen wijzigingen.
week-open-shifts = Open diensten die je kunt nemen
claim-shift = Deze dienst nemen
acknowledge-change = Gezien
change-added = Nieuw: { $after }
change-removed = Vervallen: { $before }
change-changed = { $before } → { $after }

calendar-add = Zet in mijn agenda
calendar-title = Je diensten in je agenda
calendar-intro = Je agenda-app kan je gepubliceerde diensten volgen: wijzigingen komen er vanzelf in.
calendar-subscribe = Openen in mijn agenda-app
calendar-address = Of kopieer dit adres naar je agenda-app
calendar-private = Houd dit adres voor jezelf: wie het heeft, ziet je diensten. Een nieuw adres maken zet het oude uit.

time-off-title = Verlof
time-off-link = Verlof aanvragen
time-off-submit = Verlof aanvragen
time-off-requests = Je aanvragen
time-off-none = Nog geen aanvragen.
field-first-day = Eerste vrije dag
field-last-day = Laatste vrije dag
field-reason = Reden (niet verplicht)
error-time-off-exists = Je hebt voor deze dagen al verlof aangevraagd.
status-unspecified = onbekend

post-title = Bericht
comment-field = Je reactie
comment-submit = Reactie plaatsen
field-group = Groep
field-title = Titel (niet verplicht)
field-body = Bericht
field-body-help = Je kunt *cursief*, **vet**, lijstjes en links (https://…) gebruiken.
post-submit = Plaatsen

settings-title = Instellingen
settings-signed-in-as = Aangemeld als { $name }
settings-notifications = Meldingen
settings-devices = Apparaten die meldingen krijgen
device-unnamed = Deze browser
push-turn-on = Meldingen aanzetten
push-on = Meldingen staan aan op dit apparaat.
push-failed = Meldingen konden niet aan. Controleer de toestemming in de browser.
push-unsupported = Deze browser kan geen meldingen tonen.
push-install-hint = Op de iPhone: tik op Deel, dan "Zet op beginscherm", en open Breakroom daar om meldingen aan te zetten.
push-needs-js = Voor meldingen is JavaScript nodig.

quiet-title = Rustige uren
quiet-enabled = Meldingen vasthouden tijdens rustige uren (dringende komen wel)
quiet-from = Rustig vanaf
quiet-until = Rustig tot
quiet-off-shift = Buiten mijn diensten meldingen bundelen tot één overzicht
quiet-zone = Tijden in { $zone }
settings-sessions = Waar je bent aangemeld
session-this-one = deze browser
session-last-use = Laatst gebruikt { $time }
session-end-others = Overal anders afmelden
device-phone = Telefoon of tablet
device-computer = Computer
device-other = Ander apparaat

inbox-title = Berichten
inbox-mark-read = Alles gelezen
inbox-empty = Nog geen meldingen.

date-short = { $weekday } { $day } { $month }
shift-when = { $date }, { $start }–{ $end }
duration-hm = { $hours } u { $minutes } min
day-1 = ma
day-2 = di
day-3 = wo
day-4 = do
day-5 = vr
day-6 = za
day-7 = zo
month-1 = jan
month-2 = feb
month-3 = mrt
month-4 = apr
month-5 = mei
month-6 = jun
month-7 = jul
month-8 = aug
month-9 = sep
month-10 = okt
month-11 = nov
month-12 = dec

status-pending = wacht op een leidinggevende
status-approved = goedgekeurd
status-rejected = afgewezen
status-offered = aangeboden
status-accepted = geaccepteerd
status- = bijgewerkt
card-roster-published = Het rooster van week { $week } staat klaar ({ $shifts } diensten).
card-shifts-changed = Je diensten zijn gewijzigd.
card-open-shift = Een open dienst die je kunt nemen:
card-claim-update = Je aanvraag voor een open dienst: { $status }.
card-swap-update = Je dienstruil: { $status }.
card-time-off-update = Je verlof { $start } – { $end }: { $status }.
card-welcome = Welkom bij Breakroom! Eerste stappen:
card-personal-roster = Je week { $week } staat klaar: { $shifts } diensten, { $paid } betaald.
card-unknown = Een update.
step-read_news = Lees het nieuws
step-see_roster = Bekijk je week
step-ask_help = Stel een vraag in de helpgroep
step-install_app = Zet Breakroom op je beginscherm

kind-unspecified = Melding
kind-roster-published = Je rooster staat klaar
kind-shift-changed = Je dienst is gewijzigd
kind-open-shift = Er is een open dienst
kind-swap-offered = Er wordt je een dienst aangeboden
kind-swap-decided = Er is besloten over je ruil
kind-claim-decided = Er is besloten over je aanvraag
kind-time-off-decided = Er is besloten over je verlof
kind-announcement = Nieuwe mededeling
kind-acknowledgement-reminder = Lees en bevestig
kind-comment = Nieuwe reactie
kind-reply = Nieuw antwoord
kind-mention = Je bent genoemd
kind-test = Testmelding
kind-digest = Je overzicht

nav-manage = Beheer
manage-title = Beheer
manage-announce = Nieuwe mededeling
manage-moderation = Gemelde berichten
manage-stores = Jouw winkels
manage-no-stores = Je plant geen winkel.
manage-week = Rooster
manage-requests = Verzoeken
back-to-manage = Terug naar Beheer
back-to-week = Terug naar de week
roster-published = Gepubliceerd { $time }
roster-draft = Concept: medewerkers zien deze week nog niet
roster-unpublished = Er zijn wijzigingen die medewerkers nog niet zien.
roster-publish = Week publiceren
roster-up-to-date = Medewerkers zien alles wat gepland is.
roster-unacknowledged = { $count ->
    [one] 1 wijziging nog niet bevestigd
   *[other] { $count } wijzigingen nog niet bevestigd
}
roster-open-count = { $count ->
    [one] 1 open dienst
   *[other] { $count } open diensten
}
roster-day-empty = Geen diensten.
open-shift = Open dienst
shift-draft = Nog niet gepubliceerd
shift-edit = Wijzigen
shift-add = Dienst toevoegen
shift-save = Dienst opslaan
shift-delete = Deze dienst verwijderen
field-employee = Wie
field-day = Dag
field-start = Van
field-end = Tot
field-position = Functie (optioneel)
field-department = Afdeling
department-whole-store = Hele winkel
field-unpaid-break = Onbetaalde pauze in minuten
field-note = Notitie voor de medewerker (optioneel)
error-shift-field = Controleer deze waarde.
error-shift-times = Kies een begin- en eindtijd; een dienst duurt hoogstens 12 uur.
error-shift-refused = Deze dienst botst met een andere dienst van dezelfde persoon of met de regels van de week.
requests-time-off = Verlof
requests-claims = Opgeëiste open diensten
requests-swaps = Ruilingen om goed te keuren
requests-none = Niets te doen.
swap-from = Neemt over van { $name }
decision-approve = Goedkeuren
decision-reject = Afwijzen
audience-title = Voor wie is het?
audience-help = Vink niets aan om iedereen in de groep te bereiken.
audience-stores = Winkels
audience-regions = Regio's
audience-roles = Rollen
audience-departments = Afdelingen
role-employee = Medewerkers
role-team-lead = Teamleiders
role-store-manager = Winkelmanagers
role-hq-admin = Hoofdkantoor
role-none = Geen rol
announce-acknowledge = Lezers moeten "Gelezen en begrepen" bevestigen
field-due = Bevestigen vóór (optioneel)
announce-urgent = Dringend: ook tijdens stille uren melden
announce-submit = Mededeling publiceren
error-audience-out-of-reach = Je kunt alleen mededelingen sturen aan winkels die je beheert.
error-audience-too-large = Deze doelgroep is te groot voor één mededeling.
report-title = Wie heeft het gelezen
report-progress = { $done } van { $total } bevestigd
report-remind = Herinner wie nog niet bevestigde
report-reminded = { $count ->
    [one] Herinnering gestuurd aan 1 persoon.
   *[other] Herinnering gestuurd aan { $count } personen.
}
report-csv = Lijst downloaden (CSV)
report-per-store = Per winkel en rol
report-store = Winkel
report-role = Rol
report-confirmed = Bevestigd
report-not-yet = Nog niet bevestigd
report-everyone = Iedereen heeft bevestigd.
report-more = Meer namen staan in de CSV-lijst.
report-link = Wie heeft het gelezen
store-head-office = Hoofdkantoor
moderation-empty = Geen gemelde berichten.
moderation-reports = { $count ->
    [one] Eén keer gemeld
   *[other] { $count } keer gemeld
}
moderation-hidden = Verborgen: alleen moderatoren zien het.
moderation-hide = Verbergen
moderation-restore = Weer tonen
moderation-delete = Verwijderen
week-swaps = Ruilen
swap-offer = Aanbieden aan een collega
swap-accept = Deze dienst overnemen
swap-offered-by = Aangeboden door { $name }
swap-offered-waiting = Je bood deze dienst aan; een collega moet nog reageren.
swap-accepted-waiting = Een collega neemt hem over; wacht op een manager.
groups-title = Groepen
groups-unread = { $count ->
    [one] 1 nieuw
   *[other] { $count } nieuw
}
colleagues-title = Collega's
colleagues-none = Je hoort nog niet bij een winkel.
colleagues-on-shift = { $count ->
    [0] Er werkt nu niemand.
    [one] 1 persoon werkt nu
   *[other] { $count } mensen werken nu
}
colleagues-working-until = werkt tot { $time }
field-mention = Collega's noemen (optioneel)
field-mention-help = Zij krijgen een melding. Houd Ctrl of Cmd ingedrukt om er meer te kiezen op een computer.
field-announcement-title = Titel
