"""Demo data: a few hundred realistic companies and contacts for ``make run``'s organization.

``seed_contacts(org=…, owner=…, rng=random.Random(seed))`` is called by ``manage.py seed_demo``.
The same ``rng`` state gives the same data (only the timestamps follow the clock). An
organization that already has companies or contacts is left alone.
"""

import datetime
import random

from django.db import transaction

from contacts import services
from contacts.choices import CompanySize, ContactSource, ContactStage
from contacts.models import Company, Contact
from rexcrm.core import clock

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
_INDUSTRIES = {
    "Labs": "Research", "Systems": "Software", "Analytics": "Software", "Logistics": "Transportation",
    "Health": "Healthcare", "Foods": "Food & Beverage", "Robotics": "Manufacturing", "Energy": "Energy",
    "Capital": "Financial Services", "Software": "Software", "Networks": "Telecommunications",
    "Studios": "Media", "Partners": "Consulting", "Dynamics": "Manufacturing", "Works": "Construction",
    "Bio": "Biotechnology", "Retail": "Retail", "Security": "Cybersecurity", "Cloud": "Software",
    "Media": "Media",
}  # fmt: skip
# (city, state, a postal code, country, streets of that city): an address is one of these.
_PLACES = [
    ("San Francisco", "CA", "94105", "US", ["Market St", "Mission St", "Folsom St"]),
    ("New York", "NY", "10001", "US", ["Broadway", "W 34th St", "Park Ave"]),
    ("Austin", "TX", "78701", "US", ["Congress Ave", "E 6th St", "Lavaca St"]),
    ("Chicago", "IL", "60601", "US", ["N Michigan Ave", "W Randolph St", "N State St"]),
    ("Seattle", "WA", "98101", "US", ["Pike St", "Pine St", "4th Ave"]),
    ("Boston", "MA", "02110", "US", ["Atlantic Ave", "Summer St", "Congress St"]),
    ("Toronto", "ON", "M5H 2N2", "CA", ["King St W", "Bay St", "Queen St W"]),
    ("London", "", "EC2A 4NE", "GB", ["Shoreditch High St", "Great Eastern St", "Old St"]),
    ("Berlin", "", "10115", "DE", ["Invalidenstraße", "Torstraße", "Chausseestraße"]),
    ("Paris", "", "75002", "FR", ["Rue Réaumur", "Rue du Sentier", "Rue de Cléry"]),
    ("Amsterdam", "", "1012 AB", "NL", ["Damrak", "Nieuwezijds Voorburgwal", "Spuistraat"]),
    ("Stockholm", "", "111 57", "SE", ["Drottninggatan", "Kungsgatan", "Vasagatan"]),
    ("Sydney", "NSW", "2000", "AU", ["George St", "Pitt St", "Kent St"]),
    ("Singapore", "", "048581", "SG", ["Raffles Pl", "Cecil St", "Robinson Rd"]),
    ("Bangalore", "KA", "560001", "IN", ["MG Road", "Residency Rd", "Brigade Rd"]),
]
# The website's country domain goes with the country of the address.
_COUNTRY_TLDS = {"DE": "de", "GB": "co.uk", "FR": "fr"}
# Phone numbers as written in each country ({a}: 3 digits, {b}: 4 digits); US/CA use 555.
_PHONE_FORMATS = {
    "US": "+1 {a} 555 {b}", "CA": "+1 {a} 555 {b}", "GB": "+44 20 7{a} {b}", "DE": "+49 30 {a} {b}",
    "FR": "+33 1 {a} {b}", "NL": "+31 20 {a} {b}", "SE": "+46 8 {a} {b}", "AU": "+61 2 9{a} {b}",
    "SG": "+65 6{a} {b}", "IN": "+91 80 {a} {b}",
}  # fmt: skip
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


def _phone(country: str, rng: random.Random) -> str:
    return _PHONE_FORMATS[country].format(a=rng.randint(200, 989), b=rng.randint(1000, 9999))


def _companies(org, owner, rng: random.Random, now) -> list[Company]:
    companies, domains = [], set()
    while len(companies) < COMPANY_COUNT:
        head, tail = rng.choice(_NAME_HEADS), rng.choice(_NAME_TAILS)
        city, state, postal_code, country, streets = rng.choice(_PLACES)
        tld = _COUNTRY_TLDS.get(country) or rng.choice(["com", "com", "com", "io", "co", "ai", "net"])
        domain = f"{_slug(head + tail)}.{tld}"
        if domain in domains:
            continue
        domains.add(domain)
        address = {"street": f"{rng.randint(1, 400)} {rng.choice(streets)}", "city": city, "state": state}
        address |= {"postal_code": postal_code, "country": country}
        created = now - datetime.timedelta(days=rng.randint(200, 720), minutes=rng.randint(0, 1439))
        with clock.frozen(created):
            company = services.company_create(
                org=org,
                actor=owner,
                name=f"{head} {tail}{rng.choice(_LEGAL)}",
                domain=domain,
                industry=_INDUSTRIES[tail],
                size=rng.choice(CompanySize.values),
                website=f"https://www.{domain}",
                phone=_phone(country, rng),
                description=f"{head} {tail} works in {_INDUSTRIES[tail].lower()}, from {city}.",
                address=address,
                owner=owner if rng.random() < 0.8 else None,
                metadata={"tier": rng.choice(["smb", "mid-market", "enterprise"])},
            )
        companies.append(company)
    return companies


def _contacts(org, owner, rng: random.Random, now, companies: list[Company]) -> list[Contact]:
    contacts, emails = [], set()
    while len(contacts) < CONTACT_COUNT:
        first, last = rng.choice(_FIRST_NAMES), rng.choice(_LAST_NAMES)
        company = rng.choice(companies) if rng.random() < 0.85 else None
        if company is not None:
            pattern = rng.choice(["{f}.{l}", "{f}", "{fi}{l}", "{f}{li}"])
            local = pattern.format(f=_ascii(first), l=_ascii(last), fi=_ascii(first)[0], li=_ascii(last)[0])
            email = f"{local}@{company.domain}"  # the service links the company of the domain
        else:
            email = f"{_ascii(first)}.{_ascii(last)}{rng.randint(1, 99)}@{rng.choice(_FREEMAIL)}"
        if email.lower() in emails:
            continue
        emails.add(email.lower())
        # A person is known after their company is (and never in the future).
        known = company.created_at if company is not None else now - datetime.timedelta(days=540)
        created = known + (now - known) * rng.uniform(0.05, 0.9)
        scored = rng.random() < 0.5
        country = company.address["country"] if company is not None else "US"
        with clock.frozen(created):
            contact = services.contact_create(
                org=org,
                actor=owner,
                email=email,
                first_name=first,
                last_name=last,
                phone=_phone(country, rng) if rng.random() < 0.7 else "",
                title=rng.choice(_TITLES) if company is not None else "",
                linkedin_url=f"https://www.linkedin.com/in/{_ascii(first)}-{_ascii(last)}-{rng.randint(100, 999)}"
                if rng.random() < 0.6
                else "",
                stage=rng.choices(ContactStage.values, weights=[50, 25, 20, 5])[0],  # lead … churned
                source=rng.choice([*ContactSource.values, None]),
                source_detail=rng.choice(_CAMPAIGNS) if rng.random() < 0.4 else "",
                owner=owner if rng.random() < 0.75 else None,
                icp_score=rng.randint(5, 100) if scored else None,
                icp_score_reason=rng.choice(_ICP_REASONS) if scored else "",
                metadata={"newsletter": rng.random() < 0.3} if rng.random() < 0.5 else {},
            )
        contacts.append(contact)
    return contacts


@transaction.atomic
def seed_contacts(*, org, owner, rng: random.Random) -> tuple[list[Company], list[Contact]]:
    """Create ``COMPANY_COUNT`` companies and ``CONTACT_COUNT`` contacts in ``org`` (once),
    through the services, each dated in the past as if entered over the last two years.

    ``owner`` (a member of ``org``, or None) owns most of them. Returns ``(companies, contacts)``;
    when the organization already has companies or contacts, returns those and creates nothing.
    """
    existing_companies = list(Company.objects.for_org(org).order_by("created_at", "id"))
    existing_contacts = list(Contact.objects.for_org(org).order_by("created_at", "id"))
    if existing_companies or existing_contacts:
        return existing_companies, existing_contacts
    now = clock.now().replace(microsecond=0)
    companies = _companies(org, owner, rng, now)
    return companies, _contacts(org, owner, rng, now, companies)
