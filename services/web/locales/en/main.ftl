# Breakroom web app: English.
app-name = Breakroom
skip-to-content = Skip to content
offline-banner = Offline — as of { $time }
nav-label = Main
nav-home = Home
nav-week = My week
nav-inbox = Inbox
nav-unread = { $count } unread
nav-settings = Settings
save = Save
signout = Sign out

error-title = Something went wrong
error-home = Back to Home
error-not-found = We could not find that page. It may have been removed, or it is not yours to see.
error-forbidden = You are not allowed to do that. Reload the page and try again.
error-signed-out = Please sign in again.
error-unavailable = Breakroom cannot be reached right now. Please try again in a minute.
error-invalid = Something in the form is not right.
error-refused = That cannot be done right now. Reload the page to see the latest state.
error-internal = Something went wrong on our side. Please try again.
error-body-refused = The text holds something that is not allowed: pictures, HTML, or links that do not start with https://, http:// or mailto:.
error-title-refused = The title is empty or too long.
error-invite-code = This invite code is unknown, used or expired. Ask your manager for a new one.
error-password-policy = Choose a longer password (at least 12 characters).
error-field-invalid = This value is not valid.
error-throttled = Too many attempts. Wait a few minutes and try again.
error-signin-failed = The e-mail, phone number or password is not right.
error-cannot-post = You cannot post in any group.

signin-title = Sign in
field-tenant = Company
field-login = E-mail or phone number
field-password = Password
signin-submit = Sign in
signin-have-code = I have an invite code

activate-title = Activate your account
activate-intro = Enter the invite code from your manager and choose a password.
field-invite-code = Invite code
field-new-password = New password
field-language = Language
language-chain = As my company
activate-submit = Activate and sign in

home-title = Home
home-hello = Hello { $name }
home-next-shift = Your next shift
home-with = With { $names }
home-no-shift = No shift planned in the coming weeks.
home-must-reads = To read and confirm
home-timeline = News
home-older = Older posts
home-empty = Nothing here yet.
paid-length = Paid: { $length }
acknowledge-post = Read and understood
acknowledged = Confirmed
new-post = New post
react-like = { $count ->
    [0] Like
   *[other] Like ({ $count })
}
comments-link = { $count ->
    [0] Comment
    [one] 1 comment
   *[other] { $count } comments
}

week-title = My week
week-previous = Previous week
week-next = Next week
week-no-shifts = No shifts this week.
week-total = Total paid: { $length }
week-changes = Changes to your shifts
week-no-changes = No changes.
week-open-shifts = Open shifts you can take
claim-shift = Take this shift
acknowledge-change = Acknowledge
change-added = New: { $after }
change-removed = Cancelled: { $before }
change-changed = { $before } → { $after }

calendar-add = Add to my calendar
calendar-title = Your shifts in your calendar
calendar-intro = Your calendar app can follow your published shifts: changes appear there by themselves.
calendar-subscribe = Open in my calendar app
calendar-address = Or copy this address into your calendar app
calendar-private = Keep this address to yourself: anyone who has it sees your shifts. Making a new one stops the old one.

time-off-title = Time off
time-off-link = Request time off
time-off-submit = Request time off
time-off-requests = Your requests
time-off-none = No requests yet.
field-first-day = First day off
field-last-day = Last day off
field-reason = Reason (optional)
error-time-off-exists = You already asked for time off on these days.
status-unspecified = unknown

post-title = Post
comment-field = Your comment
comment-submit = Add comment
field-group = Group
field-title = Title (optional)
field-body = Message
field-body-help = You can use *italics*, **bold**, lists and links (https://…).
post-submit = Post

settings-title = Settings
settings-signed-in-as = Signed in as { $name }
settings-notifications = Notifications
settings-devices = Devices that get notifications
device-unnamed = This browser
push-turn-on = Turn on notifications
push-on = Notifications are on for this device.
push-failed = Notifications could not be turned on. Check the browser's permission.
push-unsupported = This browser cannot show notifications.
push-install-hint = On iPhone: tap Share, then "Add to Home Screen", and open Breakroom from there to turn on notifications.
push-needs-js = Turning on notifications needs JavaScript.

quiet-title = Quiet hours
quiet-enabled = Hold notifications during quiet hours (urgent ones still come)
quiet-from = Quiet from
quiet-until = Quiet until
quiet-off-shift = Outside my shifts, bundle notifications into one summary
quiet-zone = Times in { $zone }
settings-sessions = Where you are signed in
session-this-one = this browser
session-last-use = Last used { $time }
session-end-others = Sign out everywhere else
device-phone = Phone or tablet
device-computer = Computer
device-other = Other device

inbox-title = Inbox
inbox-mark-read = Mark all as read
inbox-empty = No notifications yet.

date-short = { $weekday } { $day } { $month }
shift-when = { $date }, { $start }–{ $end }
duration-hm = { $hours } h { $minutes } min
day-1 = Mon
day-2 = Tue
day-3 = Wed
day-4 = Thu
day-5 = Fri
day-6 = Sat
day-7 = Sun
month-1 = Jan
month-2 = Feb
month-3 = Mar
month-4 = Apr
month-5 = May
month-6 = Jun
month-7 = Jul
month-8 = Aug
month-9 = Sep
month-10 = Oct
month-11 = Nov
month-12 = Dec

status-pending = waiting for a manager
status-approved = approved
status-rejected = rejected
status-offered = offered
status-accepted = accepted
status- = updated
card-roster-published = The roster of week { $week } is out ({ $shifts } shifts).
card-shifts-changed = Your shifts changed.
card-open-shift = An open shift you can take:
card-claim-update = Your claim of an open shift: { $status }.
card-swap-update = Your shift swap: { $status }.
card-time-off-update = Your time off { $start } – { $end }: { $status }.
card-welcome = Welcome to Breakroom! First steps:
card-personal-roster = Your week { $week } is out: { $shifts } shifts, { $paid } paid.
card-unknown = An update.
step-read_news = Read the news
step-see_roster = Look at your week
step-ask_help = Ask a question in the help group
step-install_app = Add Breakroom to your home screen

kind-unspecified = Notification
kind-roster-published = Your roster is out
kind-shift-changed = Your shift changed
kind-open-shift = An open shift is available
kind-swap-offered = A shift is offered to you
kind-swap-decided = Your swap was decided
kind-claim-decided = Your claim was decided
kind-time-off-decided = Your time off was decided
kind-announcement = New announcement
kind-acknowledgement-reminder = Please read and confirm
kind-comment = New comment
kind-reply = New reply
kind-mention = You were mentioned
kind-test = Test notification
kind-digest = Your summary

nav-manage = Manage
manage-title = Manage
manage-announce = New announcement
manage-moderation = Reported posts
manage-stores = Your stores
manage-no-stores = You do not plan a store.
manage-week = Roster
manage-requests = Requests
back-to-manage = Back to Manage
back-to-week = Back to the week
roster-published = Published { $time }
roster-draft = Draft: employees do not see this week yet
roster-unpublished = There are changes employees do not see yet.
roster-publish = Publish the week
roster-up-to-date = Employees see everything planned.
roster-unacknowledged = { $count ->
    [one] 1 change notice not yet acknowledged
   *[other] { $count } change notices not yet acknowledged
}
roster-open-count = { $count ->
    [one] 1 open shift
   *[other] { $count } open shifts
}
roster-day-empty = No shifts.
open-shift = Open shift
shift-draft = Not yet published
shift-edit = Change
shift-add = Add a shift
shift-save = Save shift
shift-delete = Remove this shift
field-employee = Who
field-day = Day
field-start = From
field-end = Until
field-position = Position (optional)
field-department = Department
department-whole-store = Whole store
field-unpaid-break = Unpaid break in minutes
field-note = Note for the employee (optional)
error-shift-field = Check this value.
error-shift-times = Choose a start and an end time; a shift lasts at most 12 hours.
error-shift-refused = This shift clashes with another shift of the same person or with the week's rules.
requests-time-off = Time off
requests-claims = Open shifts claimed
requests-swaps = Swaps to approve
requests-none = Nothing waiting.
swap-from = Taking over from { $name }
decision-approve = Approve
decision-reject = Reject
audience-title = Who is it for?
audience-help = Tick nothing to reach everyone the group reaches.
audience-stores = Stores
audience-regions = Regions
audience-roles = Roles
audience-departments = Departments
role-employee = Employees
role-team-lead = Team leads
role-store-manager = Store managers
role-hq-admin = Head office
role-none = No role
announce-acknowledge = Readers must confirm "Read and understood"
field-due = Confirm by (optional)
announce-urgent = Urgent: notify even during quiet hours
announce-submit = Publish announcement
error-audience-out-of-reach = You can only announce to stores you manage.
error-audience-too-large = This audience is too large for one announcement.
report-title = Who has read it
report-progress = { $done } of { $total } confirmed
report-remind = Remind those who have not
report-reminded = { $count ->
    [one] Reminder sent to 1 person.
   *[other] Reminder sent to { $count } people.
}
report-csv = Download the list (CSV)
report-per-store = Per store and role
report-store = Store
report-role = Role
report-confirmed = Confirmed
report-not-yet = Not yet confirmed
report-everyone = Everyone has confirmed.
report-more = More names are in the CSV list.
report-link = Who has read it
store-head-office = Head office
moderation-empty = No reported posts. Nice.
moderation-reports = { $count ->
    [one] Reported once
   *[other] Reported { $count } times
}
moderation-hidden = Hidden: only moderators see it.
moderation-hide = Hide
moderation-restore = Show again
moderation-delete = Delete
week-swaps = Swaps
swap-offer = Offer to a colleague
swap-accept = Take this shift
swap-offered-by = Offered by { $name }
swap-offered-waiting = You offered this shift; waiting for a colleague.
swap-accepted-waiting = A colleague will take it; waiting for a manager.
groups-title = Groups
groups-unread = { $count ->
    [one] 1 new
   *[other] { $count } new
}
colleagues-title = Colleagues
colleagues-none = You are not in a store yet.
colleagues-on-shift = { $count ->
    [0] Nobody is on shift right now.
    [one] 1 person on shift right now
   *[other] { $count } people on shift right now
}
colleagues-working-until = working until { $time }
field-mention = Mention colleagues (optional)
field-mention-help = They get a notification. Hold Ctrl or Cmd to pick several on a computer.
field-announcement-title = Title
