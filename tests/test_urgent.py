"""Safety guidance triggered by the message (rag/urgent.py), with a fake cross-encoder.

The messages are paraphrases written to share no content word with the listed signs; they
reach the list through the profile's plain words for signs, or the reading model."""

from __future__ import annotations

import re

import pytest

from rag.urgent import (
    about_own_child_now,
    asks_when_to_seek_help,
    build_guidance,
    dose_lead,
    match_signs,
    plain_signs,
    safety_flags,
    urgent_units,
)
from tests.core_support import PROFILE, OverlapReranker, chunk

SAFETY = PROFILE.safety
SIDE = chunk(
    "fam-se",
    "Call your child's care team right away if your child has:\n\nA fever\nChills or shaking\n"
    "Trouble breathing\nA pump alarm that will not stop, or a line that leaks or comes apart\n\n"
    "If your child has a seizure or cannot breathe well, call emergency services first.",
    section="When to call the care team right away",
    doc_type="plain-language",
)
INFO = chunk(
    "fam-info",
    "You know your child best. If something seems off, it is fine to call. "
    "The care team works out the dose for your child.",
    section="Talk with your care team",
    doc_type="plain-language",
)
G = build_guidance([SIDE, INFO], SAFETY)


def test_guidance_is_found_by_the_profile_patterns() -> None:
    assert len(G.urgent) == 2 and G.urgent[0].items  # the list with its lead-in, the sentence
    assert [u.text for u in G.fallback] == ["If something seems off, it is fine to call."]
    assert [u.text for u in G.dose] == ["The care team works out the dose for your child."]


@pytest.mark.parametrize(
    ("message", "sign"),
    [
        ("since dinner my son has been burning up and his teeth are chattering", "A fever"),
        ("my daughter can't get enough air and her lips look grey right now", "Trouble breathing"),
        (
            "his pump keeps beeping and the sheet is soaked where the tube came apart",
            "A pump alarm",
        ),
    ],
)
def test_paraphrased_signs_are_recognised(message: str, sign: str) -> None:
    assert about_own_child_now(message, SAFETY)
    matches = match_signs(message, G, SAFETY, OverlapReranker(), min_logit=99.0)
    assert matches and any(m.sign.startswith(sign) for m in matches)


def test_the_emergency_sentence_comes_first_for_its_signs() -> None:
    msg = "my daughter can't get enough air and her lips look grey right now"
    units = urgent_units(match_signs(msg, G, SAFETY, OverlapReranker(), 99.0), G, msg, SAFETY)
    assert units[0].text.startswith("If your child has a seizure or cannot breathe well")
    fever = "my son has been burning up since lunch"
    units = urgent_units(match_signs(fever, G, SAFETY, OverlapReranker(), 99.0), G, fever, SAFETY)
    assert units[0].items and units[0].text.startswith("Call your child's care team right away")


def test_no_sign_no_urgency() -> None:
    assert plain_signs("his big sister has a cold at the moment", SAFETY) == []
    assert not about_own_child_now("why do they make a big deal about fever?", SAFETY)
    assert (
        match_signs("my son starts tomorrow and feels fine", G, SAFETY, OverlapReranker(), 99.0)
        == []
    )


PUMP = chunk(
    "fam-pump",
    "If the pump alarm goes off, look for a kink in the tube first. "
    "If the alarm keeps going, call the number your team gave you.",
    section="When the pump alarms or the line leaks",
    doc_type="plain-language",
)
G2 = build_guidance([SIDE, INFO, PUMP], SAFETY)


def test_a_message_about_the_asker_now_counts_without_naming_the_child() -> None:
    msg = "the pump keeps beeping and says occlusion, what should i do??"
    matches = match_signs(msg, G2, SAFETY, OverlapReranker(), 99.0)
    assert matches, "a parent's message about the pump, now, gets the urgent guidance"
    # the call list that names the sign first, then the section whose heading names it
    # ("pump alarms": a plural counts)
    units = urgent_units(matches, G2, msg, SAFETY)
    assert units[0].items and units[0].text.startswith("Call your child's care team right away")
    assert [u.text[:26] for u in units if u.chunk.doc_id == "fam-pump"] == [
        "If the pump alarm goes off",
        "If the alarm keeps going, ",
    ]
    # a general question, not about the asker now, is not urgent
    assert match_signs("why do pumps beep?", G2, SAFETY, OverlapReranker(), 99.0) == []


def test_plural_sign_words_count() -> None:
    assert plain_signs("When the pump alarms or the line leaks", SAFETY)[:1] == ["line leaks"]
    assert "pump alarm" in plain_signs("the alarms went off", SAFETY)


CRS = chunk(
    "fam-crs",
    "Cytokines are chemicals that immune cells send out.\n\nSigns of CRS can include:\n\n"
    "Fever or chills\nA fast heartbeat\nFeeling dizzy or faint, which can be a sign of low "
    "blood pressure",
    section="Cytokine release syndrome (CRS)",
    doc_type="plain-language",
)
G3 = build_guidance([SIDE, INFO, CRS], SAFETY)


def test_a_sign_known_only_from_a_list_to_watch_for_gets_the_call_list_then_that_list() -> None:
    assert [u.text for u in G3.watch] == ["Signs of CRS can include:"]
    msg = "my son says he feels lightheaded when he stands up and his heart is racing"
    units = urgent_units(match_signs(msg, G3, SAFETY, OverlapReranker(), 99.0), G3, msg, SAFETY)
    assert [u.text for u in units] == [
        "Call your child's care team right away if your child has:",
        "Signs of CRS can include:",
    ]
    # a sign that both lists name leads with the urgent list alone
    fever = "my son has been burning up since lunch"
    units = urgent_units(match_signs(fever, G3, SAFETY, OverlapReranker(), 99.0), G3, fever, SAFETY)
    assert units[0].chunk.doc_id == "fam-se" and CRS.doc_id not in {u.chunk.doc_id for u in units}


@pytest.mark.parametrize(
    ("message", "caregiver"),
    [
        ("my son is 6, what does MRD mean?", True),
        ("our 10-year-old starts blina on monday", True),
        ("I'm her mum. Is blina chemo?", True),
        ("My patient is 6: what dose would the label give?", False),
        ("my 2 cents: was AALL1731 stopped early?", False),
        ("What was the 4-year DFS in AALL1731?", False),
    ],
)
def test_a_parents_message_is_flagged_caregiver(message: str, caregiver: bool) -> None:
    assert ("caregiver" in safety_flags(message, SAFETY)) is caregiver


@pytest.mark.parametrize(
    ("message", "flag"),
    [
        ("I'm 52 and was told last month I have B-ALL. Is blina used for adults?", "adult"),
        ("my wife starts blinatumomab on monday, what side effects should we expect", "adult"),
        ("i was recently diagnosed, what does MRD negative mean", "adult"),
        ("my haematologist mentioned blina for me", "adult"),
        ("our son is 6 and my husband keeps asking about the pump", "caregiver"),  # a parent
        ("my husband doesn't want her to have blina. She is 9. What is the warning?", ""),
        ("is blinatumomab chemo?", ""),
        ("I am 12 weeks into maintenance with my daughter", "caregiver"),
    ],
)
def test_a_message_about_an_adults_own_illness_is_flagged_adult(message: str, flag: str) -> None:
    flags = safety_flags(message, SAFETY) & {"adult", "caregiver"}
    assert flags == ({flag} if flag else set())


def test_family_texts_for_an_adult_do_not_speak_of_their_child() -> None:
    texts = PROFILE.texts
    adult = texts.for_asker(True)
    assert "child" not in adult.family_next.lower() and "child" not in adult.family_note.lower()
    assert texts.for_asker(False) is texts and "child" in texts.family_next.lower()


def test_a_sign_two_explainers_name_alike_leads_with_the_fuller_section() -> None:
    diary = chunk(
        "fam-diary",
        "Your child has a fever or chills.\nThe pump alarm will not stop.\n\n"
        "If your child has a seizure or cannot breathe well, call emergency services first.",
        section="Call the care team right away if",
        doc_type="plain-language",
    )
    g = build_guidance([diary, SIDE], SAFETY)
    msg = "she went stiff and her arms were jerking a minute ago"
    units = urgent_units(match_signs(msg, g, SAFETY, OverlapReranker(), 99.0), g, msg, SAFETY)
    assert units[0].text.startswith("If your child has a seizure")
    assert {u.chunk.doc_id for u in units} == {"fam-se"}


@pytest.mark.parametrize(
    "message",
    [
        "How much blinatumomab should I give my son?",
        "What dose should my daughter get? She weighs 30 kg.",
        "Should we stop the infusion tonight?",
        "Can I skip the next bag change?",
        "My child feels sick, should I lower the dose?",
        "my 9yo got 28 mcg a day, should i ask them to lower it",
        "its her birthday on saturday, can we stop the blina for 2 days?",
        "Should I skip my son's chemo while he is getting blinatumomab?",
        "Should we give blinatumomab to my patient, a 4-year-old with detectable MRD?",
        "My patient weighs 40 kg. How much blinatumomab should I infuse per day?",
        "how much blina will my 5 year old get? she weighs 18kg",
        "how much of the medicine does our little girl need, shes 3",
    ],
)
def test_a_personal_treatment_decision_is_flagged_personal(message: str) -> None:
    assert "personal" in safety_flags(message, SAFETY)


@pytest.mark.parametrize(
    "message",
    [
        "What dose of blinatumomab does the label describe?",
        "What is the 4-year DFS in AALL1731?",
        "How is blinatumomab given?",
        "so MRD negative means the cancer is totally gone right? can we stop worrying now",
        "what should i ask the nurses about side effects before we get sent home",
        "My son just started blina. I read about TOWER. Is that what will happen to him?? I "
        "can't stop crying",
        "How many children in AALL1731 could get blinatumomab?",
        "how much benefit will my kid get from blina?",
        "how much does blina cost for my son?",
    ],
)
def test_an_action_on_no_treatment_is_not_a_personal_decision(message: str) -> None:
    assert "personal" not in safety_flags(message, SAFETY)


RUNS = chunk(
    "fam-runs",
    "The medicine flows all day and all night for 28 days. Only touch the pump settings if "
    "your team has taught you how.",
    section="How it is given",
    doc_type="plain-language",
)
G4 = build_guidance([SIDE, INFO, RUNS], SAFETY)


@pytest.mark.parametrize(
    "message",
    [
        "could we unplug the pump for the school trip tomorrow?",
        "can i stop the infusion over the weekend, she hates the backpack",
    ],
)
def test_a_request_to_pause_the_infusion_is_told_first_how_it_runs(message: str) -> None:
    lead = dose_lead(message, message, G4, SAFETY, OverlapReranker())
    assert lead[0].text.startswith("The medicine flows all day and all night")
    assert "The care team works out the dose for your child." in [u.text for u in lead]


def test_a_dose_request_gets_the_dose_guidance_only() -> None:
    msg = "how many micrograms should her bag have, she is 18 kg"
    lead = dose_lead(msg, msg, G4, SAFETY, OverlapReranker())
    assert "all day and all night" not in " ".join(u.full for u in lead)
    assert "The care team works out the dose for your child." in [u.text for u in lead]


HOME = chunk(
    "fam-home",
    "Before you go home, ask your child's care team:\n\nWho do we call at night?\n"
    "Which medicines are safe to give at home for fever or pain?\n\nKeep the list by the phone.",
    section="Before you go home",
    doc_type="plain-language",
)
G5 = build_guidance([SIDE, INFO, RUNS, HOME], SAFETY)


@pytest.mark.parametrize(
    "message",
    [
        "how much tylenol can i give him for his headache? hes 22kg",
        "what dose of ibuprofen is ok for my 6 year old while on blina",
    ],
)
def test_a_dose_request_for_a_home_medicine_is_told_first_to_ask_which_are_safe(
    message: str,
) -> None:
    lead = dose_lead(message, message, G5, SAFETY, OverlapReranker())
    assert "safe to give at home" in lead[0].full
    assert len(lead) == 3 and "The care team works out the dose for your child." in [
        u.text for u in lead
    ]
    blina = "how many micrograms should her bag have, she is 18 kg"
    assert all(
        "safe to give" not in u.full for u in dose_lead(blina, blina, G5, SAFETY, OverlapReranker())
    )


@pytest.mark.parametrize(
    "message",
    [
        "my son (9) is on blina at home and hes been throwing up all day and wont drink",
        "she has been vomiting since lunch, day 4 of the bag",
        "he's not eating or drinking today and just lies there",
    ],
)
def test_a_child_unwell_in_ways_no_sign_names_is_a_worry_now(message: str) -> None:
    # such a message gets the explainers' "if something seems off, call" guidance
    assert about_own_child_now(message, SAFETY)
    assert re.search(SAFETY.worry, message, re.I)


def test_when_to_call_is_the_urgent_lists_section_in_the_explainers_order() -> None:
    got = [u.text for u in G.when_to_call()]
    assert got[0] == "Call your child's care team right away if your child has:"
    assert got[-1].endswith("call emergency services first.")


def test_a_worried_parent_telling_a_sign_is_also_told_that_calling_is_fine() -> None:
    worried = "my son has been burning up since lunch, am i overreacting?"
    units = urgent_units(
        match_signs(worried, G, SAFETY, OverlapReranker(), 99.0), G, worried, SAFETY
    )
    assert units[0].text.startswith("Call your child's care team right away")
    assert "If something seems off, it is fine to call." in [u.text for u in units[1:]]
    calm = "my son has been burning up since lunch"
    units = urgent_units(match_signs(calm, G, SAFETY, OverlapReranker(), 99.0), G, calm, SAFETY)
    assert "If something seems off, it is fine to call." not in [u.text for u in units]


@pytest.mark.parametrize(
    ("message", "asks"),
    [
        ("when should we phone the hospital?", True),
        ("what are the brain signs, and what do i do if i see one", True),
        ("who do we ring at night if she gets worse?", True),
        ("when to worry about a temperature on blina", True),
        ("what did the study do if a child relapsed?", False),
        ("what is the 4-year DFS in AALL1731?", False),
    ],
)
def test_asking_when_or_whom_to_call_or_what_to_do_if_a_sign_appears(
    message: str, asks: bool
) -> None:
    assert asks_when_to_seek_help(message, SAFETY) is asks
    assert not asks_when_to_seek_help(message, None)
