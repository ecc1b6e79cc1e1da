from django.db import models


class ContactStage(models.TextChoices):
    LEAD = "lead"
    PROSPECT = "prospect"
    CUSTOMER = "customer"
    CHURNED = "churned"


class ContactSource(models.TextChoices):
    ORGANIC = "organic"
    REFERRAL = "referral"
    PAID = "paid"
    SOCIAL = "social"
    EMAIL = "email"
    EVENT = "event"
    OUTBOUND = "outbound"
    OTHER = "other"


class CompanySize(models.TextChoices):
    S_1_10 = "1-10"
    S_11_50 = "11-50"
    S_51_200 = "51-200"
    S_201_1000 = "201-1000"
    S_1000_PLUS = "1000+"
