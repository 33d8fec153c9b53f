"""Seed the risk taxonomy (aligned with Ontario's Risk-driven Tracking Database), study flags and
protective factors. Codes are stable identifiers used in exports; never rename a code — retire the
item (is_active=False) and add a new one under a new taxonomy_version instead."""

from django.db import migrations

VERSION = "2026.1"

# (category code, English, French, [(factor code suffix, English, French), ...])
RISK_TAXONOMY = [
    ("alcohol", "Alcohol", "Alcool", [
        ("person", "Alcohol abuse — person", "Abus d'alcool — personne"),
        ("home", "Alcohol abuse — in the home", "Abus d'alcool — dans le foyer"),
        ("intoxicated-public", "Intoxication in public", "Intoxication dans un lieu public"),
    ]),
    ("drugs", "Drugs", "Drogues", [
        ("person", "Drug use — person", "Consommation de drogues — personne"),
        ("home", "Drug use — in the home", "Consommation de drogues — dans le foyer"),
        ("trafficking", "Drug trafficking", "Trafic de drogues"),
        ("overdose", "Overdose risk", "Risque de surdose"),
    ]),
    ("mental-health", "Mental health", "Santé mentale", [
        ("diagnosed", "Diagnosed mental health problem", "Problème de santé mentale diagnostiqué"),
        ("suspected", "Suspected mental health problem", "Problème de santé mentale soupçonné"),
        ("not-treated", "Not following treatment", "Ne suit pas son traitement"),
        ("home", "Mental health problem — in the home", "Problème de santé mentale — dans le foyer"),
    ]),
    ("cognitive", "Cognitive functioning", "Fonctionnement cognitif", [
        ("diagnosed", "Diagnosed cognitive disability", "Déficience cognitive diagnostiquée"),
        ("suspected", "Suspected cognitive disability", "Déficience cognitive soupçonnée"),
        ("dementia", "Dementia / memory loss", "Démence / perte de mémoire"),
    ]),
    ("physical-health", "Physical health", "Santé physique", [
        ("chronic", "Chronic illness not managed", "Maladie chronique non prise en charge"),
        ("injury", "Injury or untreated condition", "Blessure ou affection non traitée"),
        ("pregnancy", "Pregnancy without care", "Grossesse sans suivi"),
    ]),
    ("suicide", "Suicide", "Suicide", [
        ("ideation", "Suicidal ideation", "Idées suicidaires"),
        ("attempt", "Previous suicide attempt", "Tentative de suicide antérieure"),
        ("affected", "Affected by a suicide", "Touché·e par un suicide"),
    ]),
    ("self-harm", "Self-harm", "Automutilation", [
        ("person", "Self-harm — person", "Automutilation — personne"),
        ("threat", "Threat of self-harm", "Menace d'automutilation"),
    ]),
    ("housing", "Housing", "Logement", [
        ("homeless", "Homeless / transient", "Itinérance / sans domicile fixe"),
        ("eviction", "At risk of eviction", "Risque d'expulsion"),
        ("unsafe", "Unsafe or unhealthy housing", "Logement insalubre ou dangereux"),
        ("hoarding", "Hoarding", "Accumulation compulsive"),
    ]),
    ("basic-needs", "Basic needs", "Besoins de base", [
        ("food", "Food insecurity", "Insécurité alimentaire"),
        ("hygiene", "Basic hygiene not met", "Hygiène de base non assurée"),
        ("unmet", "Other basic needs not met", "Autres besoins de base non satisfaits"),
    ]),
    ("poverty", "Poverty", "Pauvreté", [
        ("person", "Poverty — person", "Pauvreté — personne"),
        ("financial-exploitation", "Financial exploitation", "Exploitation financière"),
    ]),
    ("unemployment", "Unemployment", "Chômage", [
        ("person", "Unemployment — person", "Chômage — personne"),
        ("home", "Unemployment — in the home", "Chômage — dans le foyer"),
    ]),
    ("criminal-involvement", "Criminal involvement", "Implication criminelle", [
        ("person", "Criminal involvement — person", "Implication criminelle — personne"),
        ("home", "Criminal involvement — in the home", "Implication criminelle — dans le foyer"),
        ("breach", "Breach of conditions", "Manquement aux conditions"),
    ]),
    ("crime-victimization", "Crime victimization", "Victimisation criminelle", [
        ("person", "Victim of crime — person", "Victime d'un crime — personne"),
        ("home", "Victim of crime — in the home", "Victime d'un crime — dans le foyer"),
        ("exploitation", "Exploitation / trafficking victim", "Victime d'exploitation / de traite"),
    ]),
    ("physical-violence", "Physical violence", "Violence physique", [
        ("victim", "Physical violence — victim", "Violence physique — victime"),
        ("perpetrator", "Physical violence — perpetrator", "Violence physique — auteur"),
        ("home", "Physical violence in the home", "Violence physique dans le foyer"),
    ]),
    ("sexual-violence", "Sexual violence", "Violence sexuelle", [
        ("victim", "Sexual violence — victim", "Violence sexuelle — victime"),
        ("perpetrator", "Sexual violence — perpetrator", "Violence sexuelle — auteur"),
    ]),
    ("emotional-violence", "Emotional violence", "Violence psychologique", [
        ("victim", "Emotional violence — victim", "Violence psychologique — victime"),
        ("perpetrator", "Emotional violence — perpetrator", "Violence psychologique — auteur"),
        ("home", "Emotional violence in the home", "Violence psychologique dans le foyer"),
    ]),
    ("elderly-abuse", "Elderly abuse", "Maltraitance des aînés", [
        ("physical", "Physical abuse of an older adult", "Maltraitance physique d'une personne aînée"),
        ("financial", "Financial abuse of an older adult", "Maltraitance financière d'une personne aînée"),
        ("neglect", "Neglect of an older adult", "Négligence envers une personne aînée"),
    ]),
    ("gambling", "Gambling", "Jeu", [
        ("person", "Problem gambling — person", "Jeu problématique — personne"),
    ]),
    ("gangs", "Gangs", "Gangs", [
        ("member", "Gang involvement — person", "Implication dans un gang — personne"),
        ("associate", "Gang association", "Association à un gang"),
        ("threat", "Threatened by a gang", "Menacé·e par un gang"),
    ]),
    ("negative-peers", "Negative peers", "Pairs négatifs", [
        ("person", "Negative peer influence", "Influence négative des pairs"),
    ]),
    ("antisocial-behaviour", "Antisocial/negative behaviour", "Comportement antisocial/négatif", [
        ("person", "Antisocial behaviour — person", "Comportement antisocial — personne"),
        ("threats", "Threatening behaviour", "Comportement menaçant"),
        ("fire-setting", "Fire setting", "Allumage d'incendies"),
    ]),
    ("missing-school", "Missing school", "Absentéisme scolaire", [
        ("truancy", "Chronic absence from school", "Absence chronique de l'école"),
        ("suspended", "Suspended or expelled", "Suspendu·e ou expulsé·e"),
        ("not-enrolled", "Not enrolled", "Non inscrit·e"),
    ]),
    ("missing-runaway", "Missing/runaway", "Disparition/fugue", [
        ("missing", "Missing person", "Personne disparue"),
        ("runaway", "Runaway", "Fugue"),
    ]),
    ("parenting", "Parenting", "Compétences parentales", [
        ("ability", "Parenting ability concerns", "Préoccupations quant aux capacités parentales"),
        ("conflict", "Parent–child conflict", "Conflit parent-enfant"),
    ]),
    ("supervision", "Supervision", "Supervision", [
        ("child", "Inadequate supervision of a child", "Supervision inadéquate d'un enfant"),
        ("vulnerable-adult", "Vulnerable adult without supervision", "Adulte vulnérable sans supervision"),
    ]),
    ("social-environment", "Social environment", "Environnement social", [
        ("isolation", "Social isolation", "Isolement social"),
        ("neighbourhood", "Neighbourhood or location risk", "Risque lié au quartier ou au lieu"),
        ("family-conflict", "Family conflict", "Conflit familial"),
    ]),
    ("public-safety", "Threat to public health and safety", "Menace pour la santé et la sécurité publiques", [
        ("threat", "Threat to public safety", "Menace pour la sécurité publique"),
        ("weapons", "Access to weapons", "Accès à des armes"),
        ("public-health", "Threat to public health", "Menace pour la santé publique"),
    ]),
]

STUDY_FLAGS = [
    ("opioids", "Opioids", "Opioïdes"),
    ("intimate-partner-violence", "Intimate partner violence", "Violence entre partenaires intimes"),
    ("human-trafficking", "Human trafficking", "Traite de personnes"),
    ("firearms", "Firearms", "Armes à feu"),
    ("indigenous-services", "Indigenous-specific services", "Services propres aux Autochtones"),
    ("covid-19", "Pandemic-related", "Lié à une pandémie"),
]

PROTECTIVE_FACTORS = [
    ("family-support", "Supportive family", "Famille soutenante"),
    ("connected-services", "Already connected to a service", "Déjà en lien avec un service"),
    ("school-engagement", "Engaged in school or work", "Engagé·e à l'école ou au travail"),
    ("stable-housing", "Stable housing", "Logement stable"),
    ("positive-peers", "Positive peers or mentor", "Pairs positifs ou mentor"),
    ("willing", "Willing to accept help", "Disposé·e à accepter de l'aide"),
    ("cultural-connection", "Cultural or community connection", "Lien culturel ou communautaire"),
]


def seed(apps, schema_editor):
    RiskCategory = apps.get_model("cases", "RiskCategory")
    RiskFactor = apps.get_model("cases", "RiskFactor")
    StudyFlag = apps.get_model("cases", "StudyFlag")
    ProtectiveFactor = apps.get_model("cases", "ProtectiveFactor")
    for c_order, (code, en, fr, factors) in enumerate(RISK_TAXONOMY):
        category, _ = RiskCategory.objects.update_or_create(
            code=code,
            defaults={"name_en": en, "name_fr": fr, "ordering": c_order, "taxonomy_version": VERSION},
        )
        for f_order, (suffix, f_en, f_fr) in enumerate(factors):
            RiskFactor.objects.update_or_create(
                code=f"{code}.{suffix}",
                defaults={
                    "category": category,
                    "name_en": f_en,
                    "name_fr": f_fr,
                    "ordering": f_order,
                    "taxonomy_version": VERSION,
                },
            )
    for model, rows in ((StudyFlag, STUDY_FLAGS), (ProtectiveFactor, PROTECTIVE_FACTORS)):
        for order, (code, en, fr) in enumerate(rows):
            model.objects.update_or_create(
                code=code,
                defaults={"name_en": en, "name_fr": fr, "ordering": order, "taxonomy_version": VERSION},
            )


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
