"""Named reads of accounts data, all scoped to one organization."""

from rexcrm.accounts.models import ApiKey, User, hash_api_key


def user_list(*, org):
    return User.objects.for_org(org)


def apikey_list(*, org):
    return ApiKey.objects.for_org(org)


def apikey_for_raw_key(raw_key: str) -> ApiKey | None:
    return ApiKey.objects.select_related("org").filter(key_hash=hash_api_key(raw_key)).first()
