"""Message keys chosen at run time, written out so that pybabel extracts them."""

from __future__ import annotations


def N_(key: str) -> str:  # noqa: N802 - the gettext convention for "mark, do not translate yet"
    return key


DOMAIN_LABELS = {
    "housing": N_("domain.housing"),
    "work": N_("domain.work"),
    "legal": N_("domain.legal"),
    "health": N_("domain.health"),
    "anti_trafficking": N_("domain.anti_trafficking"),
}

PROVINCE_LABELS = {
    "bergamo": N_("province.bergamo"),
    "brescia": N_("province.brescia"),
    "lecco": N_("province.lecco"),
    "milano": N_("province.milano"),
    "monza_brianza": N_("province.monza_brianza"),
    "sondrio": N_("province.sondrio"),
    "varese": N_("province.varese"),
    "other": N_("province.other"),
}

GENERAL_REPLIES = {
    "greet": N_("reply.greet"),
    "goodbye": N_("reply.goodbye"),
    "thanks": N_("reply.thanks"),
    "out_of_scope": N_("reply.out_of_scope"),
}

# Telegram's command menu (setMyCommands), in each language.
COMMANDS = {
    "start": N_("command.start"),
    "menu": N_("command.menu"),
    "language": N_("command.language"),
    "province": N_("command.province"),
    "help": N_("command.help"),
    "forget": N_("command.forget"),
}
