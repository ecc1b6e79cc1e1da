"""Demo data: a few hundred realistic companies and contacts for ``make run``'s organization.

``seed_contacts(org=…, owner=…, rng=random.Random(seed))`` is called by ``manage.py seed_demo``. The same ``rng`` state gives the same data (only the timestamps
follow the clock). An organization that already has companies or contacts is left alone.
"""

import datetime
import random

from django.db import transaction
from django.utils import timezone

from contacts.choices import CompanySize, ContactSource, ContactStage
from contacts.models import Company, Contact

COMPANY_COUNT = 120
CONTACT_COUNT = 420

_NAME_HEADS = [
    "North", "Blue", "Silver", "Bright", "Iron", "Cedar", "Harbor", "Summit", "Granite", "Maple",
    "Quantum", "Vector", "Lumen", "Nimbus", "Atlas", "Beacon", "Copper", "Delta", "Ember", "Falcon",
    "Golden", "Helix", "Indigo", "Juniper", "Keystone", "Lattice", "Meridian", "Nova", "Orbit", "Pioneer",
    "Redwood", "Sierra", "Tidal", "Umbra", "Vertex", "Willow", "Zenith", "Aurora", "Cobalt", "Evergreen",
]  # fmt: skip
_NAME_TAILS = [
    "Labs", "Systems", "Analytics", "Logistics", "Health", "Foods", "Robotics", "Energy", "Capital",
    "Software", "Networks", "Studios", "Partners", "Dynamics", "Works", "Bio", "Retail", "Security",
    "Cloud", "Media",
]  # fmt: skip
_LEGAL = ["", "", "", " Inc", " LLC", " Ltd", " GmbH", " Group"]
_TLDS = ["com", "com", "com", "io", "co", "ai", "net", "de", "co.uk", "fr"]
_INDUSTRIES = {
    "Labs": "Research", "Systems": "Software", "Analytics": "Software", "Logistics": "Transportation",
    "Health": "Healthcare", "Foods": "Food & Beverage", "Robotics": "Manufacturing", "Energy": "Energy",
    "Capital": "Financial Services", "Software": "Software", "Networks": "Telecommunications",
    "Studios": "Media", "Partners": "Consulting", "Dynamics": "Manufacturing", "Works": "Construction",
    "Bio": "Biotechnology", "Retail": "Retail", "Security": "Cybersecurity", "Cloud": "Software",
    "Media": "Media",
}  # fmt: skip
_PLACES = [
    ("San Francisco", "CA", "94105", "US"), ("New York", "NY", "10001", "US"), ("Austin", "TX", "78701", "US"),
    ("Chicago", "IL", "60601", "US"), ("Seattle", "WA", "98101", "US"), ("Boston", "MA", "02110", "US"),
    ("Toronto", "ON", "M5H 2N2", "CA"), ("London", "", "EC2A 4NE", "GB"), ("Berlin", "", "10115", "DE"),
    ("Paris", "", "75002", "FR"), ("Amsterdam", "", "1012 AB", "NL"), ("Stockholm", "", "111 57", "SE"),
    ("Sydney", "NSW", "2000", "AU"), ("Singapore", "", "048581", "SG"), ("Bangalore", "KA", "560001", "IN"),
]  # fmt: skip
_STREETS = [
    "Market St",
    "Main St",
    "Harbour Rd",
    "King St",
    "Hauptstraße",
    "Rue de Rivoli",
    "High St",
    "Elm Ave",
]
_FIRST_NAMES = [
    "Ada", "Grace", "Alan", "Linus", "Margaret", "Katherine", "Dennis", "Barbara", "Ken", "Radia",
    "Tim", "Frances", "Donald", "Hedy", "John", "Sophie", "Yukihiro", "Guido", "Anita", "Vint",
    "Jean", "Mary", "Carlos", "Priya", "Wei", "Fatima", "Olga", "Mateo", "Aisha", "Kenji",
    "Lucia", "Noah", "Emma", "Liam", "Chloé", "Jonas", "Ingrid", "Ravi", "Mei", "Tomás",
    "Zara", "Omar", "Elena", "Hiro", "Nadia", "Pablo", "Sven", "Amara", "Dmitri", "Leila",
]  # fmt: skip
_LAST_NAMES = [
    "Lovelace", "Hopper", "Turing", "Torvalds", "Hamilton", "Johnson", "Ritchie", "Liskov", "Thompson",
    "Perlman", "Berners-Lee", "Allen", "Knuth", "Lamarr", "McCarthy", "Wilson", "Matsumoto", "van Rossum",
    "Borg", "Cerf", "Sammet", "Keller", "García", "Sharma", "Zhang", "Haddad", "Ivanova", "Rossi",
    "Okafor", "Tanaka", "Fernández", "Müller", "Dubois", "Nielsen", "Kowalski", "Novak", "Silva",
    "Kim", "Nguyen", "O'Brien", "Andersson", "Petrov", "Mensah", "Yilmaz", "Costa", "Schmidt",
]  # fmt: skip
_TITLES = [
    "CEO", "CTO", "CFO", "COO", "VP of Sales", "VP of Engineering", "Head of Marketing", "Head of Operations",
    "Director of IT", "Procurement Manager", "Product Manager", "Engineering Manager", "Sales Manager",
    "Account Executive", "Operations Analyst", "Data Scientist", "Software Engineer", "Office Manager",
]  # fmt: skip
_FREEMAIL = ["gmail.com", "outlook.com", "yahoo.com", "icloud.com", "proton.me", "gmx.de"]
_CAMPAIGNS = [
    "Spring webinar",
    "SaaStr booth",
    "Newsletter",
    "Partner referral",
    "LinkedIn ads",
    "Cold outbound Q2",
]
_ICP_REASONS = [
    "Right size and industry; active buying signals.",
    "Good industry fit, budget unclear.",
    "Too small for the enterprise plan.",
    "Decision maker at a target account.",
    "Outside the target regions.",
]


def _slug(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


def _ascii(text: str) -> str:
    table = str.maketrans("áéíóúüöäçñéèøå", "aeiouuoacneeoa")
    return "".join(ch for ch in text.lower().translate(table) if ch.isalnum())


def _companies(org, owner, rng: random.Random, now) -> list[Company]:
    companies, domains = [], set()
    while len(companies) < COMPANY_COUNT:
        head, tail = rng.choice(_NAME_HEADS), rng.choice(_NAME_TAILS)
        domain = f"{_slug(head + tail)}.{rng.choice(_TLDS)}"
        if domain in domains:
            continue
        domains.add(domain)
        city, state, postal_code, country = rng.choice(_PLACES)
        address = {
            "street": f"{rng.randint(1, 999)} {rng.choice(_STREETS)}",
            "city": city,
            "country": country,
        }
        if state:
            address["state"] = state
        address["postal_code"] = postal_code
        companies.append(
            Company(
                org=org,
                name=f"{head} {tail}{rng.choice(_LEGAL)}",
                domain=domain,
                industry=_INDUSTRIES[tail],
                size=rng.choice(CompanySize.values),
                website=f"https://www.{domain}",
                phone=f"+1 {rng.randint(200, 989)} 555 {rng.randint(1000, 9999)}",
                description=f"{head} {tail} works in {_INDUSTRIES[tail].lower()}.",
                address=address,
                owner=owner if rng.random() < 0.8 else None,
                metadata={"tier": rng.choice(["smb", "mid-market", "enterprise"])},
                created_at=now - datetime.timedelta(days=rng.randint(30, 720), minutes=rng.randint(0, 1439)),
            )
        )
    return companies


def _contacts(org, owner, rng: random.Random, now, companies: list[Company]) -> list[Contact]:
    contacts, emails = [], set()
    while len(contacts) < CONTACT_COUNT:
        first, last = rng.choice(_FIRST_NAMES), rng.choice(_LAST_NAMES)
        company = rng.choice(companies) if rng.random() < 0.85 else None
        if company is not None:
            pattern = rng.choice(["{f}.{l}", "{f}", "{fi}{l}", "{f}{li}"])
            local = pattern.format(f=_ascii(first), l=_ascii(last), fi=_ascii(first)[0], li=_ascii(last)[0])
            email = f"{local}@{company.domain}"
        else:
            email = f"{_ascii(first)}.{_ascii(last)}{rng.randint(1, 99)}@{rng.choice(_FREEMAIL)}"
        if email.lower() in emails:
            continue
        emails.add(email.lower())
        created = now - datetime.timedelta(days=rng.randint(0, 540), minutes=rng.randint(0, 1439))
        scored = rng.random() < 0.5
        contacts.append(
            Contact(
                org=org,
                email=email,
                first_name=first,
                last_name=last,
                phone=f"+1 {rng.randint(200, 989)} 555 {rng.randint(1000, 9999)}"
                if rng.random() < 0.7
                else "",
                title=rng.choice(_TITLES) if company is not None else "",
                linkedin_url=f"https://www.linkedin.com/in/{_ascii(first)}-{_ascii(last)}-{rng.randint(100, 999)}"
                if rng.random() < 0.6
                else "",
                stage=rng.choices(ContactStage.values, weights=[50, 25, 20, 5])[0],  # lead … churned
                source=rng.choice([*ContactSource.values, None]),
                source_detail=rng.choice(_CAMPAIGNS) if rng.random() < 0.4 else "",
                company=company,
                owner=owner if rng.random() < 0.75 else None,
                icp_score=rng.randint(5, 100) if scored else None,
                icp_score_reason=rng.choice(_ICP_REASONS) if scored else "",
                icp_scored_at=created + datetime.timedelta(days=rng.randint(0, 20)) if scored else None,
                metadata={"newsletter": rng.random() < 0.3} if rng.random() < 0.5 else {},
                created_at=created,
            )
        )
    return contacts


@transaction.atomic
def seed_contacts(*, org, owner, rng: random.Random) -> tuple[list[Company], list[Contact]]:
    """Create ``COMPANY_COUNT`` companies and ``CONTACT_COUNT`` contacts in ``org`` (once).

    ``owner`` (a member of ``org``, or None) owns most of them. Returns ``(companies, contacts)``;
    when the organization already has companies or contacts, returns those and creates nothing.
    """
    existing_companies = list(Company.objects.for_org(org).order_by("created_at", "id"))
    existing_contacts = list(Contact.objects.for_org(org).order_by("created_at", "id"))
    if existing_companies or existing_contacts:
        return existing_companies, existing_contacts
    now = timezone.now().replace(microsecond=0)
    companies = Company.objects.bulk_create(_companies(org, owner, rng, now))
    contacts = Contact.objects.bulk_create(_contacts(org, owner, rng, now, companies))
    return companies, contacts
