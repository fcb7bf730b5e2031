"""The words a heading is read by: question words and imperatives, headings that mean nothing alone
(and the question each asks of the document's topic instead), verbs a heading of one word names a
task by, a step's opening verbs, the headings no question reads well from, and a title's filler."""

from __future__ import annotations

from tunelab.data.generate.template.word_classes import VERBS

QUESTION_WORDS = frozenset(
    "how why what when where which who can should does do did is are will may".split()
)
IMPERATIVES = frozenset(
    """install configure set run use create add remove deploy train evaluate export merge load
    save write read build update upgrade start stop enable disable connect change resume serve
    generate check compare rate inspect""".split()
)
# Headings that mean nothing alone: the question names the document's topic instead.
GENERIC = {
    "installation": "How do I install {topic}?",
    "install": "How do I install {topic}?",
    "usage": "How do I use {topic}?",
    "getting started": "How do I get started with {topic}?",
    "quickstart": "How do I get started with {topic}?",
    "quick start": "How do I get started with {topic}?",
    "setup": "How do I set up {topic}?",  # not "What is setup?", which its steps never answer
    "set up": "How do I set up {topic}?",
    "overview": "What is {topic}?",
    "introduction": "What is {topic}?",
    "about": "What is {topic}?",
    "requirements": "What does {topic} require?",
    "prerequisites": "What does {topic} require?",
    "dependencies": "What does {topic} depend on?",  # not "What are dependencies?"
    "configuration": "How do I configure {topic}?",
    "examples": "What are examples of using {topic}?",
    "troubleshooting": "How do I troubleshoot {topic}?",
    "features": "What features does {topic} have?",
    "limitations": "What are the limitations of {topic}?",
    "limits": "What are the limits of {topic}?",
    # not "What should I do about specifications?" under "Troubleshooting the Aquaflow 300"
    "specifications": "What are the specifications of {topic}?",
    "technical specifications": "What are the specifications of {topic}?",
    "specs": "What are the specifications of {topic}?",
    "defaults": "What are the defaults of {topic}?",  # not "What are defaults?"
    "ports": "What ports does {topic} use?",
    "environment variables": "What environment variables does {topic} read?",
    "license": "What license does {topic} use?",
    "command line": "How do I use {topic} from the command line?",
    "cli": "How do I use {topic} from the command line?",
    "layout": "How is {topic} laid out?",
    "security": "How secure is {topic}?",
    "contact": "How do I contact the {topic} team?",
    "support": "How do I get support for {topic}?",
    "citation": "How do I cite {topic}?",
    "citing": "How do I cite {topic}?",
    "paper": "What paper describes {topic}?",
}
# Verbs that are seldom nouns: a heading of one ("Reproduce") is a task whose object only the
# text says; "How do I reproduce?" and "What is reproduce?" both read badly. A heading of one of
# these or of IMPERATIVES ("Export") asks about what the heading above it names, if anything.
LONE_VERBS = frozenset(
    """add allow apply compare configure connect create decrypt delete deploy disable enable
    encrypt evaluate finetune generate ignore include inspect merge prune remove rename replace
    reload reproduce restart restore resume retry rewrite serve shuffle uninstall verify""".split()
)
# Verbs done to the product itself: a heading of one under its title asks about it ("Upgrade"
# in tunelab's manual: "How do I upgrade tunelab?"); one exports or builds something in it.
PRODUCT_VERBS = frozenset("uninstall configure deploy upgrade update use".split())
# Tasks a reader does that need no object said: "Upgrading" in a document that names no product
# is "How do I upgrade?" ("How does upgrading work?" asked of a step as of a mechanism). Not
# "Uninstalling", whose section says as often what it keeps as how it is done.
TASKS_ALONE = frozenset("install reinstall upgrade downgrade update deploy migrate".split())
# Headings a manual splits its install and setup by: "How do I install Ferrylog on macOS?"
PLATFORMS = frozenset(
    """linux windows macos mac ubuntu debian fedora centos rhel alpine freebsd docker kubernetes
    android ios""".split()
)
# Headings that group sections by kind, not by the thing their verbs act on ("## Commands").
GROUPS = frozenset("commands tasks steps basics advanced tutorial tutorials recipes tips".split())
# The words a step opens with: a numbered heading's first word ("1. Look at what will be
# trained") more often than a heading's is, and a lead or a term that opens with one tells the
# reader what to do ("Now run ...", "Import: ...") rather than saying what a thing is.
STEP_VERBS = (
    VERBS
    | IMPERATIVES
    | frozenset(
        """look see try choose get go edit clone prepare fill point modify import define declare now
        press click tap select enter reset restart reboot unplug switch unpack plug attach detach
        insert disconnect unscrew wait""".split()
    )
)
# Headings no question reads well from.
NO_QUESTION = frozenset(
    "glossary faq contents see also references notes changelog measured".split()
    + ["table of contents", "see also", "frequently asked questions"]
    # A document's credits: "What are thanks?" asks nothing a reader would.
    + "thanks acknowledgements acknowledgments credits".split()
    + ["revision notes", "revision history"]
    # A list of pointers elsewhere: "What are links?" asks what no one would.
    + ["links", "useful links", "resources"]
)
# Sections whose subsections each name a problem.
TROUBLE = frozenset(
    ["troubleshooting", "common problems", "common issues", "known issues", "problems"]
)
# What a troubleshooting section lists rather than a problem it is: "Error codes", "Status lights".
CODE_LISTS = frozenset("codes messages lights indicators leds beeps signals".split())
TITLE_FILLER = frozenset(
    "guide documentation docs manual readme reference handbook user user's owner's quickstart".split()
)


def names_trouble(heading: str) -> bool:
    """Whether a heading heads problems: "Troubleshooting", and a document's title that ends
    so after its product's name or opens with it ("Wrenfield W200 Troubleshooting",
    "Troubleshooting Guide"), whose sections' "The printer skips labels" was asked "What are
    the printer skips labels?"."""
    words = heading.strip().strip("#*_ ").lower().split()
    while words and words[-1] in TITLE_FILLER:
        words.pop()
    said = " ".join(words)
    return (
        said in TROUBLE
        or said.startswith("troubleshooting")
        or said.endswith(tuple(f" {t}" for t in TROUBLE))
    )
