"""The built-in demo content: a fictional manufacturer, its partners and their questions.

Everything goes through the service layer (the same use cases the web and API call), so the demo
obeys every rule: visibility, accept and vote permissions, counters, revisions, tags.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from tortoise.transactions import in_transaction

from community import validation
from community.accounts import directory, passwords, people
from community.actor import Actor
from community.errors import Conflict
from community.forum import posts, thread_actions, threads
from community.kb import feedback, products
from community.kb.articles import promote_answer
from community.models import Category, Organisation, Post, Role, Thread, ThreadKind, User
from community.settings import Settings

DEMO_PASSWORD = "demo-password-1"
DISCUSSION = ThreadKind.DISCUSSION


@dataclass(frozen=True)
class DemoLogin:
    label: str
    name: str
    email: str


@dataclass
class DemoSummary:
    organisations: int = 0
    users: int = 0
    categories: int = 0
    threads: int = 0
    answers: int = 0
    accepted: int = 0
    votes: int = 0
    articles: int = 0
    password: str = DEMO_PASSWORD
    logins: list[DemoLogin] = field(default_factory=list)


# --- people and places ------------------------------------------------------------------------

ORGANISATIONS = {
    # key: (name, tier, description)
    "bluewave": ("Bluewave Integration", "gold", "Systems integrator for mid-size enterprises and campuses."),
    "harbourline": ("Harbourline IT", "silver", "Managed service provider for retail and hospitality."),
    "pinecrest": ("Pinecrest Computer Services", "registered", "Local IT services for small businesses."),
}

# key: (display name, local part of the e-mail, role, organisation key or None for the company,
#       org admin, login label or "" when not printed, expertise tags)
PEOPLE: dict[str, tuple[str, str, str, str | None, bool, str, list[str]]] = {
    "alex": ("Alex Morgan", "admin", Role.ADMIN, None, False, "admin", []),
    "jordan": ("Jordan Lee", "moderator", Role.MODERATOR, None, False, "moderator", []),
    "priya": ("Priya Raman", "expert", Role.EXPERT, None, False, "expert",
              ["routing", "bgp", "router-x200", "firewall-f10", "vpn"]),
    "tomas": ("Tomás Herrera", "tomas.herrera", Role.EXPERT, None, False, "",
              ["switching", "switch-s48", "lacp", "firmware"]),
    "grace": ("Grace Okafor", "grace.okafor", Role.EXPERT, None, False, "",
              ["pricing", "deal-registration", "certification", "mdf"]),
    "hannah": ("Hannah Becker", "hannah.becker", Role.PARTNER, "bluewave", True,
               "gold partner, organisation admin", []),
    "lukas": ("Lukas Weber", "lukas.weber", Role.PARTNER, "bluewave", False, "gold partner", []),
    "chloe": ("Chloe Martin", "chloe.martin", Role.PARTNER, "harbourline", False, "silver partner", []),
    "owen": ("Owen Price", "owen.price", Role.PARTNER, "harbourline", False, "", []),
    "sofia": ("Sofia Rossi", "sofia.rossi", Role.PARTNER, "pinecrest", False, "registered partner", []),
}  # fmt: skip

CATEGORIES = [
    # (name, slug, visibility, description)
    ("Announcements", "announcements", "all", "News from the partner team and how this community works."),
    ("Product setup", "product-setup", "all",
     "Installing, configuring and troubleshooting routers, switches and firewalls."),
    ("Pricing & deal registration", "pricing", "tiers:gold,silver",
     "Discounts, price lists, deal registration and special pricing requests."),
    ("Training & certification", "training", "all", "Courses, exams, vouchers and partner certifications."),
    ("Gold partner programme", "gold-programme", "tiers:gold",
     "Marketing funds, early access and other benefits for gold partners."),
    ("Staff room", "staff-room", "staff", "Internal coordination between experts and moderators."),
]  # fmt: skip


@dataclass(frozen=True)
class Reply:
    author: str
    body: str
    after_hours: float
    votes: tuple[str, ...] = ()
    accepted: bool = False


@dataclass(frozen=True)
class DemoThread:
    category: str
    author: str
    title: str
    tags: tuple[str, ...]
    days_ago: float
    body: str
    replies: tuple[Reply, ...] = ()
    kind: str = ThreadKind.QUESTION
    votes: tuple[str, ...] = ()
    pinned: bool = False


# In bodies, "@@key" becomes the @handle of the person with that key.
THREADS: list[DemoThread] = [
    DemoThread(
        "announcements",
        "alex",
        "Welcome to the Northwind partner community: start here",
        ("welcome", "community"),
        41,
        kind=DISCUSSION,
        pinned=True,
        body="""Welcome! This is the place where our channel partners and the Northwind experts meet.

**What you will find here**

- **Product setup**: configuration and troubleshooting for the Router X200, Switch S48 and Firewall F10.
- **Pricing & deal registration**: discounts, price lists and registrations (silver and gold partners).
- **Training & certification**: exams, vouchers and what each partner tier requires.

**How to get a good answer quickly**

1. Search first: many questions have been answered already.
2. Put the model and firmware version in the title or the first line.
3. Paste configuration in a code block (indent it or wrap it in three backticks) and remove passwords.
4. When an answer solves your problem, **accept it** so the next person finds it.

Our experts read every new question on working days. Please keep customer names out of public threads.""",
        replies=(
            Reply(
                "hannah",
                "Thanks for setting this up. Having the answers in one place instead of "
                "a dozen e-mail threads will save our engineers a lot of time.",
                5,
                votes=("lukas",),
            ),
            Reply(
                "sofia",
                "Glad to be here! Is there a way to get notified when someone answers my question?",
                30,
            ),
            Reply(
                "jordan",
                "@@sofia Yes: you are told about answers to your own questions on the site, "
                "and e-mail notifications are on the roadmap.",
                33,
            ),
        ),
    ),
    DemoThread(
        "product-setup",
        "lukas",
        "Router X200: BGP session to the ISP drops every 90 seconds",
        ("router-x200", "bgp", "routing"),
        34,
        votes=("chloe", "owen"),
        body="""We replaced an old edge router with a **Router X200** (firmware 4.2.1) at a customer site.
The eBGP session to the ISP comes up, exchanges routes, and then drops almost exactly every 90 seconds:

```
%BGP-5-ADJCHANGE: neighbor 203.0.113.1 Down - hold timer expired
%BGP-5-ADJCHANGE: neighbor 203.0.113.1 Up
```

Our configuration:

```
router bgp 65010
  neighbor 203.0.113.1 remote-as 64500
  neighbor 203.0.113.1 description ISP-A
  neighbor 203.0.113.1 timers 30 90
  address-family ipv4 unicast
    neighbor 203.0.113.1 activate
    network 198.51.100.0/24
```

The ISP says everything looks fine on their side. Any idea what to check next?""",
        replies=(
            Reply(
                "priya",
                """A hold timer that expires while the link stays up almost always means your
keepalives are not reaching the CPU. On the X200 the default control-plane policy limits BGP to
a low rate *per interface*, and a full table from the ISP can starve it during the initial update.

Check the drops first:

```
show control-plane policy statistics | include bgp
```

If the `dropped` counter grows, raise the BGP class and re-apply the policy:

```
control-plane policy default
  class bgp
    rate 2000 pps burst 500
```

Two more things worth doing:

- Ask the ISP for a default route only, unless the customer really needs the full table.
- Upgrade to **4.2.3**: it fixes a bug where keepalives were queued behind update messages.""",
                6,
                votes=("lukas", "chloe", "hannah"),
                accepted=True,
            ),
            Reply(
                "chloe",
                "We had the same symptom on a PPPoE uplink and it turned out to be MTU: "
                "large updates were silently dropped. `ping 203.0.113.1 size 1492 df-bit` is a quick "
                "test before you touch the policy.",
                20,
                votes=("lukas",),
            ),
            Reply(
                "lukas",
                "It was the control-plane policy: the drop counter was in the thousands. "
                "After raising the BGP rate the session has been stable for two days. Thanks both!",
                50,
            ),
        ),
    ),
    DemoThread(
        "product-setup",
        "owen",
        "Switch S48: LACP port-channel to a VMware ESXi host stays down",
        ("switch-s48", "lacp", "vmware"),
        29,
        body="""I am connecting an ESXi 8 host with two 10G uplinks to a **Switch S48**. The port-channel
never comes up; both member ports show `suspended`.

```
interface port-channel 10
  switchport mode trunk
  switchport trunk allowed vlan 10,20,30
!
interface ethernet 1/0/11-12
  channel-group 10 mode active
```

On the ESXi side the standard vSwitch uses *Route based on IP hash*. What am I missing?""",
        replies=(
            Reply(
                "tomas",
                """The standard vSwitch in ESXi does not speak LACP at all: *Route based on IP
hash* expects a **static** link aggregation. The switch sends LACP frames, gets no answer and
suspends the members, which is exactly what you see.

You have two options:

1. Keep the standard vSwitch and make the channel static:

   ```
   interface ethernet 1/0/11-12
     channel-group 10 mode on
   ```

2. Move the host to a distributed switch (vDS) and create a LAG there; then `mode active` is right.

Option 1 is the usual choice for a single host. Whatever you choose, make sure both sides hash on
IP addresses: `port-channel load-balance src-dst-ip`.""",
                4,
                votes=("owen", "lukas", "chloe"),
                accepted=True,
            ),
            Reply(
                "lukas",
                "+1 to the static channel. One more trap: if the host has a management "
                "VMkernel port on the same vSwitch, change the teaming *before* you change the "
                "switch, or you lock yourself out.",
                9,
                votes=("owen",),
            ),
        ),
    ),
    DemoThread(
        "product-setup",
        "sofia",
        "Firewall F10 HA pair: established sessions drop during failover",
        ("firewall-f10", "high-availability"),
        25,
        body="""We set up two **Firewall F10** units as an active/passive pair for a dental practice. Failover
itself works (the passive unit takes over in about a second), but every established session is
lost: VoIP calls drop and users have to log in to the practice software again.

Is this expected, or did we miss a setting?""",
        replies=(
            Reply(
                "priya",
                """It is not expected: the F10 can fail over without dropping sessions, but session
synchronisation is off by default. Enable it on both units and give it its own link:

```
ha session-sync enable
ha sync-interface port8
ha sync-interval 1
```

Notes:

- Use a direct cable between the two `port8` interfaces, not a switched VLAN.
- Sessions that pass through the **SSL inspection** profile are not synchronised; those will still
  reconnect after a failover.
- Run `show ha session-sync status` afterwards: both units should report the same session count
  within a few seconds.""",
                3,
                votes=("sofia", "owen"),
                accepted=True,
            ),
            Reply(
                "sofia",
                "Thank you @@priya, that was it. Calls now survive a failover. The SSL "
                "inspection note was useful too: we excluded the VoIP server from it.",
                28,
            ),
        ),
    ),
    DemoThread(
        "product-setup",
        "chloe",
        "How do I factory reset a Router X200 without console access?",
        ("router-x200", "reset"),
        22,
        body="""A customer returned a Router X200 from a closed branch office. Nobody knows the admin password
and we do not have a console cable at hand. Is there a way to reset it with the button only?""",
        replies=(
            Reply(
                "tomas",
                """Yes. The recessed button on the back does a full factory reset:

1. Power the router on and wait until the **SYS** LED is solid green (about two minutes).
2. Press and hold the reset button with a paper clip for **15 seconds**, until SYS flashes amber.
3. Release it. The router erases the configuration and reboots.
4. Connect to port 1 and browse to `https://192.168.1.1`; the login is `admin` with the password
   printed on the label underneath.

A shorter press (under five seconds) only reboots the unit. If the customer enabled *secure
boot lock*, the button is disabled and you will need the console after all.""",
                2,
                votes=("chloe", "sofia", "owen"),
                accepted=True,
            ),
        ),
    ),
    DemoThread(
        "product-setup",
        "hannah",
        "Best practice for upgrading firmware on a stack of Switch S48 units",
        ("switch-s48", "firmware"),
        18,
        body="""We have a customer campus with a stack of four **Switch S48** units and two uplinks per stack.
They want to move from 3.8 to 4.1 with as little downtime as possible. Is a rolling upgrade
supported across these versions, and in which order should we go?""",
        replies=(
            Reply(
                "tomas",
                """A rolling upgrade (ISSU) is supported from 3.8.4 onwards, so if they are on
an earlier 3.8 release, go to 3.8.4 first. Then:

```
copy tftp://10.0.0.5/s48-4.1.2.bin flash:
stack upgrade image flash:s48-4.1.2.bin rolling
show stack upgrade status
```

The stack upgrades the members one at a time, standby members first and the active one last.
Expect about four minutes per member. Servers with dual-homed links stay up; anything connected to
a single member is down while that member reboots.

Check that every member has at least 200 MB of free flash before you start (`dir flash:`).""",
                5,
                votes=("hannah", "lukas"),
                accepted=True,
            ),
            Reply(
                "lukas",
                "We did this last month on a stack of three. One tip: save the running "
                "configuration before you start and take a copy off the box. The upgrade itself was "
                "uneventful.",
                26,
                votes=("hannah",),
            ),
        ),
    ),
    DemoThread(
        "product-setup",
        "owen",
        "Site-to-site VPN from a Firewall F10 to a third-party firewall: phase 2 never comes up",
        ("firewall-f10", "vpn", "ipsec"),
        1.2,
        body="""Phase 1 of an IPsec tunnel between a **Firewall F10** (firmware 6.0.2) and another vendor's
firewall comes up fine, but phase 2 keeps failing with `no proposal chosen`.

```
vpn ipsec phase2 branch-office
  local-subnet 10.10.0.0/16
  remote-subnet 10.20.0.0/24
  proposal aes256-sha256
  pfs group14
```

The other side is set to AES-256 / SHA-256 and group 14 as well. Any ideas?""",
    ),
    DemoThread(
        "product-setup",
        "sofia",
        "Monitoring a Router X200 with SNMPv3 from our RMM tool",
        ("router-x200", "snmp", "monitoring"),
        12,
        body="""Our remote monitoring tool supports SNMPv3 only. What is the minimal configuration on a
**Router X200** to let it read interface counters and CPU load, and nothing else?""",
        replies=(
            Reply(
                "priya",
                """Create a read-only view, a group bound to it, and a user with authentication
and privacy:

```
snmp-server view rmm-view iso included
snmp-server group rmm-group v3 priv read rmm-view
snmp-server user rmm-user rmm-group v3 auth sha256 <AUTH-SECRET> priv aes128 <PRIV-SECRET>
snmp-server host 10.0.5.20 version 3 priv rmm-user
```

To restrict it further, include only the interface and host-resources trees in the view instead
of `iso`. Also allow UDP 161 from the RMM server in the management ACL.""",
                7,
                votes=("sofia", "chloe"),
            ),
        ),
    ),
    DemoThread(
        "pricing",
        "chloe",
        "How is the partner discount calculated when a Router X200 is bundled with a support contract?",
        ("pricing", "discounts", "router-x200"),
        27,
        body="""A customer wants ten **Router X200** units with three years of *Care Plus* support. Is our
silver discount applied to the whole bundle, or separately to hardware and services? The price
list is not clear about bundles.""",
        replies=(
            Reply(
                "grace",
                """Discounts are applied **per line item**, never to the bundle total. Hardware
and services have different discount rates:

| Tier       | Hardware | Support and services |
|------------|----------|----------------------|
| Registered | 10%      | 5%                   |
| Silver     | 18%      | 8%                   |
| Gold       | 25%      | 12%                  |

So for your quote: 18% off the ten routers and 8% off the Care Plus line. If you register the deal
first, add **5 percentage points** on the hardware line (23% in your case). Deal registration
does not change the services discount.""",
                4,
                votes=("chloe", "owen", "lukas"),
                accepted=True,
            ),
            Reply(
                "owen",
                "Useful table, thanks. It would be great to have this in the price list itself.",
                30,
                votes=("chloe",),
            ),
        ),
    ),
    DemoThread(
        "pricing",
        "lukas",
        "Deal registration rejected as a duplicate: what counts as the same opportunity?",
        ("deal-registration",),
        20,
        body="""We registered a deal for a hospital group and it was rejected as a *duplicate*. As far as we
know no other partner is working with them. What exactly counts as the same opportunity, and can we
appeal?""",
        replies=(
            Reply(
                "grace",
                """A registration is treated as a duplicate when **all three** of these match an
approved registration from the last 90 days:

- the same end customer (we match on the company registration number, not the name),
- an overlapping product family (routers, switches or firewalls),
- an overlapping project period.

Hospital groups often trip the first rule, because each hospital is registered under the group's
number. You can appeal from the registration page with **Request review**; add the site address and
the name of the customer's project lead. Reviews are answered within two working days.""",
                3,
                votes=("lukas", "hannah"),
                accepted=True,
            ),
            Reply(
                "chloe",
                "Adding the customer's purchase request number to the registration helped us "
                "twice in a similar case: it makes it obvious that it is a separate project.",
                8,
                votes=("lukas",),
            ),
        ),
    ),
    DemoThread(
        "pricing",
        "owen",
        "Can we register a deal when the customer already has a quote from another partner?",
        ("deal-registration", "pricing"),
        15,
        body="""A retail chain has asked us for a quote for 40 **Switch S48** units. They mentioned that they
also have a quote from another partner. Can we still register the deal, or does the other partner
have priority?""",
        replies=(
            Reply(
                "grace",
                """The first **approved** registration has priority for 90 days. A quote alone does
not register anything, so if the other partner has not registered the deal, you can.

If they have, your registration is declined, but you can still sell at your standard tier
discount. The registration bonus is what you would not get.""",
                5,
                votes=("owen",),
                accepted=True,
            ),
            Reply(
                "hannah",
                "In our experience it is worth registering early even when you are not sure "
                "the project will happen: registrations are free and can be withdrawn.",
                11,
                votes=("owen", "chloe"),
            ),
        ),
    ),
    DemoThread(
        "pricing",
        "hannah",
        "When do the new Switch S48 list prices take effect?",
        ("pricing", "switch-s48", "price-list"),
        8,
        body="""We heard that Switch S48 list prices change next quarter. Do quotes we send now stay valid at
the current prices, and until when?""",
        replies=(
            Reply(
                "jordan",
                """The new price list takes effect on the **first day of next quarter**.
Quotes issued before that date are honoured at current prices for **30 days** from the quote date,
as long as the order references the quote number. @@grace will post the full price list in this
category a week before the change.""",
                6,
                votes=("hannah", "chloe"),
            ),
        ),
    ),
    DemoThread(
        "pricing",
        "chloe",
        "Special pricing request for a 200-switch campus project: how long does approval take?",
        ("pricing", "special-pricing"),
        0.6,
        body="""We are preparing a bid for a university campus: about 200 **Switch S48** units over two years.
The customer's deadline is in three weeks. How long does a special pricing request usually take,
and what should we include to speed it up?""",
    ),
    DemoThread(
        "training",
        "owen",
        "Which certifications do we need to keep silver status?",
        ("certification", "partner-tiers"),
        31,
        body="""Our annual tier review is coming up. What are the exact certification requirements for
**silver** partners, and do certifications from other vendors count towards them?""",
        replies=(
            Reply(
                "grace",
                """For silver you need, at the time of the review:

- **two** engineers with the *Northwind Certified Network Associate* (NCNA) certification,
- **one** salesperson with the *Northwind Sales Accreditation*,
- at least **one** specialist certification (routing, switching or security) in the company.

Certifications from other vendors do not count, but holders of an equivalent associate-level
certification can take the NCNA *fast track* exam without the course.""",
                3,
                votes=("owen", "chloe", "sofia"),
                accepted=True,
            ),
            Reply(
                "chloe",
                "The fast track exam is worth it: two of our engineers passed it after a "
                "weekend of revision.",
                12,
                votes=("owen",),
            ),
        ),
    ),
    DemoThread(
        "training",
        "sofia",
        "Can an exam voucher be transferred to a colleague?",
        ("certification", "exam-voucher"),
        14,
        body="""We received two exam vouchers with our partner welcome pack, but one colleague has left the
company. Can the voucher be used by someone else in our organisation?""",
        replies=(
            Reply(
                "jordan",
                "Yes: vouchers belong to the organisation, not to the person. Your "
                "organisation admin can reassign an unused voucher on the training portal under "
                "*Vouchers → Reassign*. Vouchers expire 12 months after they are issued.",
                4,
                votes=("sofia",),
                accepted=True,
            ),
        ),
    ),
    DemoThread(
        "training",
        "lukas",
        "What does a good home lab for the Firewall F10 specialist exam look like?",
        ("firewall-f10", "certification", "lab"),
        10,
        kind=DISCUSSION,
        body="""I am preparing for the Firewall F10 specialist exam. How have others set up a lab for it? I
have one F10 from our demo pool and a small server for virtual machines.""",
        replies=(
            Reply(
                "chloe",
                "One physical F10 plus the virtual F10v on your server is enough for almost "
                "every exam topic, including HA and site-to-site VPN. The F10v licence for lab use is "
                "free for partners.",
                6,
                votes=("lukas",),
            ),
            Reply(
                "priya",
                """A topology that covers the exam well:

- F10 (physical) and F10v as an HA pair or as two ends of a VPN,
- two Linux VMs as clients in different zones,
- one VM running a syslog server, to practise log analysis.

Spend most of your time on **policy troubleshooting**: it is the biggest section of the exam.""",
                20,
                votes=("lukas", "chloe"),
            ),
        ),
    ),
    DemoThread(
        "training",
        "hannah",
        "Are the online training modules available in German?",
        ("training", "localisation"),
        2.5,
        body="""Some of our engineers would prefer to take the online modules in German. Are translated
versions available, or planned?""",
    ),
    DemoThread(
        "gold-programme",
        "hannah",
        "How do we claim marketing development funds for a joint webinar?",
        ("mdf", "marketing"),
        24,
        body="""We want to run a webinar with Northwind about Firewall F10 for our customers. Can we use our
MDF budget for it, and what is the process for claiming the costs?""",
        replies=(
            Reply(
                "grace",
                """Yes, joint webinars are one of the activities MDF is meant for. The process:

1. Submit a **pre-approval** request on the partner portal at least four weeks before the event,
   with the agenda and an estimated budget.
2. Run the webinar. Use the co-branded template from the marketing kit.
3. Within 60 days, submit the **claim** with invoices and the attendee list.

We reimburse up to 50% of the costs, capped by your remaining quarterly MDF balance. Our marketing
team is happy to provide a speaker from the product team.""",
                5,
                votes=("hannah", "lukas"),
                accepted=True,
            ),
        ),
    ),
    DemoThread(
        "gold-programme",
        "lukas",
        "Early access to the Router X300 beta: how do gold partners apply?",
        ("router-x300", "beta"),
        6,
        body="""We have customers interested in the upcoming **Router X300**. Is there a beta programme for
gold partners, and how do we apply?""",
        replies=(
            Reply(
                "priya",
                "There is: we are looking for about ten gold partners with a lab and at least "
                "one customer willing to test in a branch office. @@hannah, as your organisation admin "
                "you can apply on behalf of Bluewave from the programme page; we will contact "
                "applicants within a week.",
                9,
                votes=("lukas", "hannah"),
            ),
        ),
    ),
    DemoThread(
        "staff-room",
        "jordan",
        "Heads-up: next quarter's price list goes live on the 1st",
        ("price-list", "internal"),
        3,
        kind=DISCUSSION,
        body="""The new price list takes effect on the first day of next quarter. Expect questions in the
pricing category about quote validity and the new Switch S48 prices. The agreed line:

- quotes issued before the change are honoured for 30 days,
- registered deals keep their approved price until their expiry date.

@@grace, can you post the full price list a week before the change?""",
        replies=(
            Reply("grace", "Will do. I will also pin a short summary of what changes for each tier.", 2),
            Reply(
                "priya",
                "I will keep an eye on the product setup category that week, so Grace can focus on pricing.",
                5,
            ),
        ),
    ),
]


def _email_domain(settings: Settings) -> str:
    return (validation.slugify(settings.company_name).split("-")[0] or "company") + ".example"


def _email(settings: Settings, key: str) -> str:
    _, local, _, org_key, *_ = PEOPLE[key]
    domain = org_key + ".example" if org_key else _email_domain(settings)
    return f"{local}@{domain}"


def logins(settings: Settings) -> list[DemoLogin]:
    return [
        DemoLogin(label, name, _email(settings, key))
        for key, (name, _, _, _, _, label, _) in PEOPLE.items()
        if label
    ]


async def database_is_empty() -> bool:
    """``demo --if-empty`` loads the demo only into a database without any account."""
    return not await User.exists()


async def existing_logins(settings: Settings) -> list[DemoLogin]:
    """The demo logins whose accounts exist (so `make run` can show them on every start)."""
    wanted = logins(settings)
    present = set(await User.filter(email__in=[w.email for w in wanted]).values_list("email", flat=True))
    return [w for w in wanted if w.email in present]


async def load_demo(settings: Settings) -> DemoSummary:
    """Create the demo organisations, people, categories and conversations: all of it or, when
    something fails, nothing (one transaction; the use cases' own transactions nest inside)."""
    if await User.filter(email=_email(settings, "alex")).exists():
        raise Conflict("The demo content is already loaded.")
    async with in_transaction():
        return await _load(settings)


async def _load(settings: Settings) -> DemoSummary:
    summary = DemoSummary(logins=logins(settings))
    company = await people.company_org(settings)
    orgs: dict[str, Organisation] = {}
    for key, (name, tier, description) in ORGANISATIONS.items():
        org = await directory.find_organisation(name)
        if org is None:
            org = await directory.create_organisation(
                settings, None, name=name, tier=tier, description=description
            )
            summary.organisations += 1
        orgs[key] = org

    actors: dict[str, Actor] = {}
    for key, (name, _, role, org_key, org_admin, _, expertise) in PEOPLE.items():
        org = orgs[org_key] if org_key else company
        user = await people.create_user(
            settings, email=_email(settings, key), display_name=name, role=role, organisation=org,
            is_org_admin=org_admin, expertise_tags=expertise,
            bio=f"{'Works at' if org_key else 'Team member at'} {org.name}.",
        )  # fmt: skip
        user.organisation = org
        actors[key] = Actor.from_user(user)
    # One hash for everybody: argon2 is slow on purpose, and they all share the demo password.
    await User.filter(id__in=[a.id for a in actors.values()]).update(
        password_hash=await passwords.hash_password(DEMO_PASSWORD)
    )
    summary.users = len(actors)

    for position, (name, slug, visibility, description) in enumerate(CATEGORIES):
        if not await Category.filter(slug=slug).exists():
            await directory.create_category(
                settings, None, name=name, slug=slug, visibility=visibility, description=description,
                position=position,
            )  # fmt: skip
            summary.categories += 1

    handles = {key: actor.handle for key, actor in actors.items()}
    now = datetime.now(UTC).replace(microsecond=0)
    for spec in THREADS:
        await _thread(spec, actors, handles, now, summary)
    await _articles(actors, summary)
    return summary


def _mentions(text: str, handles: dict[str, str]) -> str:
    for key, handle in handles.items():
        text = text.replace(f"@@{key}", f"@{handle}")
    return text


# Products and versions articles apply to: product name -> (version name, superseded?).
PRODUCTS: dict[str, tuple[tuple[str, bool], ...]] = {
    "Router X200": (("firmware 3.x", True), ("firmware 4.x", False)),
    "Switch S48": (("firmware 2.x", False),),
    "Firewall F10": (("OS 7.x", False),),
}


@dataclass(frozen=True)
class DemoArticle:
    """A thread's accepted answer, marked best practice by ``curator``."""

    thread_title: str
    curator: str
    summary: str
    applies_to: tuple[tuple[str, str], ...] = ()  # (product, version)
    helped: tuple[str, ...] = ()  # readers who rated it helpful
    did_not_help: tuple[str, ...] = ()


ARTICLES = [
    DemoArticle(
        "Router X200: BGP session to the ISP drops every 90 seconds",
        "priya",
        "Hold-timer expiries behind a policer: raise the BGP traffic class before anything else.",
        (("Router X200", "firmware 4.x"),),
        helped=("hannah", "chloe", "sofia"),
    ),
    DemoArticle(
        "Switch S48: LACP port-channel to a VMware ESXi host stays down",
        "tomas",
        "ESXi standard switches do not speak LACP: use a static channel or a distributed switch.",
        (("Switch S48", "firmware 2.x"),),
        helped=("lukas", "owen"),
        did_not_help=("sofia",),
    ),
    DemoArticle(
        "How do I factory reset a Router X200 without console access?",
        "priya",
        "The reset button sequence, and what survives it.",
        (("Router X200", "firmware 4.x"),),
        helped=("chloe",),
    ),
    DemoArticle(
        "Best practice for upgrading firmware on a stack of Switch S48 units",
        "tomas",
        "Stage the image on every member, upgrade in one reload window, check versions before traffic.",
        (("Switch S48", "firmware 2.x"),),
        helped=("hannah", "owen"),
    ),
    DemoArticle(
        "Deal registration rejected as a duplicate: what counts as the same opportunity?",
        "grace",
        "Same end customer, same products, overlapping dates: what makes two registrations one.",
        helped=("lukas",),
    ),
]


async def _articles(actors: dict[str, Actor], summary: DemoSummary) -> None:
    """Products, then the best-practice articles promoted from accepted answers, with ratings."""
    staff = actors["priya"]
    versions: dict[tuple[str, str], int] = {}
    for name, product_versions in PRODUCTS.items():
        product = await products.create_product(staff, name=name)
        for version_name, superseded in product_versions:
            version = await products.add_version(staff, product.id, name=version_name)
            versions[(name, version_name)] = version.id
            if superseded:
                await products.set_superseded(staff, version.id, True)
    for spec in ARTICLES:
        thread = await Thread.filter(title=spec.thread_title).first()
        if thread is None or thread.accepted_post_id is None:
            continue
        article = await promote_answer(
            actors[spec.curator], thread.accepted_post_id, summary=spec.summary,
            products=[versions[key] for key in spec.applies_to],
        )  # fmt: skip
        summary.articles += 1
        for reader in spec.helped:
            await feedback.rate(actors[reader], article.id, True)
        for reader in spec.did_not_help:
            await feedback.rate(actors[reader], article.id, False)


async def _thread(
    spec: DemoThread, actors: dict[str, Actor], handles: dict[str, str], now: datetime, summary: DemoSummary
) -> None:
    started = now - timedelta(days=spec.days_ago)
    thread = await threads.create_thread(
        actors[spec.author], category=spec.category, kind=spec.kind, title=spec.title,
        body=_mentions(spec.body, handles), tags=list(spec.tags), created_at=started,
    )  # fmt: skip
    summary.threads += 1
    opening = await Post.filter(thread_id=thread.id, is_opening=True).first()
    assert opening is not None
    for voter in spec.votes:
        await posts.vote(actors[voter], opening.id)
        summary.votes += 1
    for reply in spec.replies:
        when = min(started + timedelta(hours=reply.after_hours), now - timedelta(minutes=5))
        post = await posts.reply(
            actors[reply.author], thread.id, body=_mentions(reply.body, handles), created_at=when
        )
        summary.answers += 1
        for voter in reply.votes:
            await posts.vote(actors[voter], post.id)
            summary.votes += 1
        if reply.accepted:
            await posts.accept_answer(actors[spec.author], post.id)
            summary.accepted += 1
    if spec.pinned:
        await thread_actions.set_pinned(actors["alex"], thread.id, pinned=True)
