"""The who-built-what query (``registry.selectors.who_built_what``): each starting kind on a
graph with a cycle, a diamond and a long tail; exact affected sets, paths and depth limits;
what a builder may see against a responder; the query count independent of the number of use
cases; the search box's suggestions; the architecture map and a team's connections picture."""

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.choices import MembershipRole
from registry.choices import AccessMode, CredentialStorage, DataClassification
from registry.models import Connection, CredentialUse, HistoryEntry, UseCase
from registry.selectors.who_built_what import (
    MAX_DEPTH,
    SubjectNotFound,
    WhoBuiltWhatQuery,
    WhoBuiltWhatQueryError,
    team_connections_map,
    use_case_architecture,
    who_built_what,
    who_built_what_suggestions,
)
from registry.services.history import history_record
from tests.factories import (
    AIModelFactory,
    ConnectionFactory,
    CredentialFactory,
    CredentialUseFactory,
    DataAccessFactory,
    DataSourceFactory,
    MembershipFactory,
    TeamFactory,
    UseCaseFactory,
    UserFactory,
    VendorFactory,
    VendorUseFactory,
)

pytestmark = pytest.mark.django_db


def person(group=None, **kwargs):
    user = UserFactory(**kwargs)
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


def ask(user, kind, value, depth=3):
    return who_built_what(user=user, query=WhoBuiltWhatQuery(kind=kind, value=value, depth=depth))


def ids(use_cases):
    return [uc.id for uc in use_cases]


@pytest.fixture
def graph():
    """A, B use key K (issued by vendor V). A → C → D → E → F → G; B → C (a diamond);
    D → A and E → C (cycles). H is another team's draft using K. E reads a restricted source."""
    marketing = TeamFactory(name="Marketing", slug="marketing")
    sales = TeamFactory(name="Sales", slug="sales")
    lead = person(first_name="Lee", last_name="Lead", phone="+1 555 0100")
    MembershipFactory(user=lead, team=marketing, role=MembershipRole.LEAD)
    pat = person(first_name="Pat", last_name="Owner", phone="+1 555 0199")
    vendor = VendorFactory(name="HubSpot", slug="hubspot")
    model = AIModelFactory(vendor=vendor, name="Breeze AI")
    key = CredentialFactory(
        name="HubSpot private app key",
        issuer=vendor,
        team=marketing,
        storage=CredentialStorage.LAPTOP_ENV_FILE,
    )
    pats_key = CredentialFactory(
        name="Pat's OpenAI key", owner=pat, team=sales, vault_reference="vault://pat"
    )
    uc = {}
    for name, team in [("A", marketing), ("B", sales), ("C", marketing), ("D", sales), ("E", sales)]:
        uc[name] = UseCaseFactory(name=f"Tool {name}", team=team)
    for name in ("F", "G"):
        uc[name] = UseCaseFactory(name=f"Tool {name}", team=sales)
    uc["H"] = UseCaseFactory(name="Tool H", team=sales, is_draft=True)
    uc["A"].owner = pat
    uc["A"].save()
    uc["B"].backup_owner = pat
    uc["B"].save()
    uc["C"].builders.add(pat)
    CredentialUseFactory(use_case=uc["A"], credential=key, purpose="posts drafts")
    CredentialUseFactory(use_case=uc["B"], credential=key)
    CredentialUseFactory(use_case=uc["H"], credential=key)
    CredentialUseFactory(use_case=uc["D"], credential=pats_key)
    VendorUseFactory(use_case=uc["A"], vendor=vendor, model=model)
    restricted = DataSourceFactory(
        name="Payroll", classification=DataClassification.RESTRICTED, has_personal_data=True
    )
    DataAccessFactory(use_case=uc["E"], data_source=restricted, access=AccessMode.READ)
    DataAccessFactory(use_case=uc["B"], data_source=restricted, access=AccessMode.WRITE)
    for source, target in ["AC", "CD", "DE", "EF", "FG", "BC", "DA", "EC"]:
        ConnectionFactory(source=uc[source], target=uc[target], what_flows=f"{source} to {target}")
    return {
        "uc": uc,
        "key": key,
        "pats_key": pats_key,
        "vendor": vendor,
        "model": model,
        "restricted": restricted,
        "marketing": marketing,
        "sales": sales,
        "pat": pat,
        "lead": lead,
    }


def test_credential_direct_downstream_paths_and_depth_limit(graph):
    uc = graph["uc"]
    answer = ask(person("incident responder"), "credential", graph["key"].pk, depth=3)

    assert ids(answer.direct) == [uc["A"].pk, uc["B"].pk, uc["H"].pk]
    assert [uc_.how for uc_ in answer.direct] == [
        ["uses the credential (posts drafts)"],
        ["uses the credential"],
        ["uses the credential"],
    ]
    by_id = {row.id: row for row in answer.downstream}
    assert list(by_id) == [uc["C"].pk, uc["D"].pk, uc["E"].pk]
    assert [row.depth for row in answer.downstream] == [1, 2, 3]
    # Reached first from A (the lower id), never looping back to A through D → A or E → C.
    assert [step.id for step in by_id[uc["E"].pk].path] == [uc["A"].pk, uc["C"].pk, uc["D"].pk, uc["E"].pk]
    assert by_id[uc["E"].pk].path_text == "Tool A → Tool C → Tool D → Tool E"
    assert by_id[uc["E"].pk].how == ["downstream of Tool D (D to E)"]
    assert by_id[uc["C"].pk].via == "A to C"
    assert answer.more_beyond_depth is True
    # The data the blast radius reaches, with its classification.
    [reached] = answer.reached_data_sources
    assert reached.source.name == "Payroll"
    assert reached.source.classification == "restricted"
    assert reached.use_cases == ["Tool E"]


@pytest.mark.parametrize(
    "depth, downstream, more",
    [(0, [], True), (1, ["C"], True), (2, ["C", "D"], True), (5, ["C", "D", "E", "F", "G"], False)],
)
def test_depth_limits_the_walk(graph, depth, downstream, more):
    answer = ask(person("incident responder"), "credential", graph["key"].pk, depth=depth)

    assert ids(answer.downstream) == [graph["uc"][name].pk for name in downstream]
    assert answer.more_beyond_depth is more


def test_max_depth_ends_on_a_cycle_without_looping(graph):
    answer = ask(person("incident responder"), "use_case", graph["uc"]["C"].pk, depth=MAX_DEPTH)

    # C → D → E → F → G, and D → A (A is then walked: A → C is a cycle back to the start).
    assert ids(answer.direct) == [graph["uc"]["C"].pk]
    assert sorted(ids(answer.downstream)) == sorted(graph["uc"][n].pk for n in "ADEFG")
    assert len(set(ids(answer.use_cases))) == len(answer.use_cases)
    assert answer.more_beyond_depth is False


def test_each_starting_kind(graph):
    uc, responder = graph["uc"], person("incident responder")

    vendor = ask(responder, "vendor", graph["vendor"].pk, depth=0)
    assert ids(vendor.direct) == [uc["A"].pk, uc["B"].pk, uc["H"].pk]
    assert vendor.direct[0].how == [
        "calls HubSpot (Breeze AI)",
        "uses a credential issued by HubSpot: HubSpot private app key",
    ]

    model = ask(responder, "model", graph["model"].pk, depth=0)
    assert ids(model.direct) == [uc["A"].pk]
    assert model.subject.label == "HubSpot Breeze AI"

    source = ask(responder, "data_source", graph["restricted"].pk, depth=1)
    assert ids(source.direct) == [uc["B"].pk, uc["E"].pk]
    assert [row.how for row in source.direct] == [["writes it"], ["reads it"]]
    assert ids(source.downstream) == [uc["C"].pk, uc["F"].pk]

    team = ask(responder, "team", graph["marketing"].pk, depth=0)
    assert ids(team.direct) == [uc["A"].pk, uc["C"].pk]
    assert team.direct[0].team_leads[0].phone == "+1 555 0100"

    person_answer = ask(responder, "person", graph["pat"].pk, depth=0)
    assert {row.id: row.how for row in person_answer.direct} == {
        uc["A"].pk: ["owns it"],
        uc["B"].pk: ["backs it up"],
        uc["C"].pk: ["built it"],
        uc["D"].pk: ["uses Pat's OpenAI key they hold"],
    }
    assert [c.name for c in person_answer.credentials_held] == ["Pat's OpenAI key"]
    assert person_answer.credentials_held[0].vault_reference == "vault://pat"

    text = ask(responder, "q", "payroll", depth=0)
    assert ids(text.direct) == [uc["B"].pk, uc["E"].pk]
    assert text.direct[0].how == ["writes Payroll"]


def test_answer_carries_contacts_review_and_last_change(graph):
    uc, responder = graph["uc"], person("incident responder")
    editor = person(first_name="Eddie", last_name="Editor")
    history_record(actor=editor, action=HistoryEntry.Action.UPDATE, obj=uc["A"], summary="first")
    history_record(actor=graph["pat"], action=HistoryEntry.Action.UPDATE, obj=uc["A"], summary="latest")

    [a] = [
        row for row in ask(responder, "credential", graph["key"].pk, depth=0).direct if row.id == uc["A"].pk
    ]

    assert a.owner.name == "Pat Owner" and a.owner.phone == "+1 555 0199"
    assert a.team == "Marketing" and [lead.name for lead in a.team_leads] == ["Lee Lead"]
    assert a.last_changed_by == "Pat Owner"
    assert a.vendors == ["HubSpot Breeze AI"]
    assert [(c.name, c.storage, c.unsafe) for c in a.credentials] == [
        ("HubSpot private app key", "laptop_env_file", True)
    ]


def test_a_builder_sees_only_what_they_may_and_no_other_teams_storage(graph):
    uc = graph["uc"]
    builder = person("builder")
    MembershipFactory(user=builder, team=graph["marketing"])

    answer = ask(builder, "credential", graph["key"].pk, depth=0)

    # The other team's draft H is left out; B (Sales) is listed without its storage details.
    assert ids(answer.direct) == [uc["A"].pk, uc["B"].pk]
    details = {row.id: [c.details_shown for c in row.credentials] for row in answer.direct}
    assert details == {uc["A"].pk: [True], uc["B"].pk: [False]}
    assert "storage" not in answer.as_dict()["use_cases"][1]["credentials"][0]
    # A person without access to the credential's details cannot start from it.
    with pytest.raises(SubjectNotFound):
        ask(person("staff"), "credential", graph["key"].pk)


def test_downstream_walk_does_not_pass_through_hidden_use_cases(graph):
    uc = graph["uc"]
    uc["C"].is_draft = True
    uc["C"].save()
    staff = person("staff")

    answer = ask(staff, "use_case", uc["B"].pk, depth=MAX_DEPTH)

    assert ids(answer.downstream) == []  # C is hidden, so D, E... are not reached through it


def test_query_parameters():
    assert WhoBuiltWhatQuery.from_params({"credential": "12"}) == WhoBuiltWhatQuery("credential", 12, 3)
    assert WhoBuiltWhatQuery.from_params({"q": " hubspot ", "depth": "0"}) == WhoBuiltWhatQuery(
        "q", "hubspot", 0
    )
    for params, field in [
        ({}, "subject"),
        ({"credential": "1", "vendor": "2"}, "subject"),
        ({"credential": "x"}, "credential"),
        ({"team": "1", "depth": "7"}, "depth"),
        ({"team": "1", "depth": "-1"}, "depth"),
    ]:
        with pytest.raises(WhoBuiltWhatQueryError) as error:
            WhoBuiltWhatQuery.from_params(params)
        assert field in error.value.errors


def test_unknown_subject_is_not_found(db):
    with pytest.raises(SubjectNotFound):
        ask(person("incident responder"), "vendor", 999999)


def _credential_used_by(n):
    """One credential used by ``n`` use cases, each with an owner, a builder, a data source,
    a vendor, a history entry and a connection to a next one (so the walk has work to do)."""
    team = TeamFactory()
    owner = UserFactory()
    key = CredentialFactory(team=team)
    source = DataSourceFactory()
    vendor = VendorFactory()
    use_cases = UseCase.objects.bulk_create(
        [UseCase(name=f"Bulk {i:04}", purpose="x", kind="agent", team=team, owner=owner) for i in range(n)]
    )
    downstream = UseCase.objects.bulk_create(
        [UseCase(name=f"Down {i:04}", purpose="x", kind="agent", team=team) for i in range(n)]
    )
    CredentialUse.objects.bulk_create([CredentialUse(use_case=u, credential=key) for u in use_cases])
    Connection.objects.bulk_create(
        [Connection(source=u, target=d) for u, d in zip(use_cases, downstream, strict=True)]
    )
    UseCase.builders.through.objects.bulk_create(
        [UseCase.builders.through(usecase_id=u.pk, user_id=owner.pk) for u in use_cases]
    )
    from registry.models import DataAccess, VendorUse

    DataAccess.objects.bulk_create([DataAccess(use_case=d, data_source=source) for d in downstream])
    VendorUse.objects.bulk_create([VendorUse(use_case=u, vendor=vendor) for u in use_cases])
    from django.contrib.contenttypes.models import ContentType

    ct = ContentType.objects.get_for_model(UseCase)
    HistoryEntry.objects.bulk_create(
        [
            HistoryEntry(
                actor=owner, actor_label="Owner", action="update", content_type=ct, object_id=u.pk, use_case=u
            )
            for u in use_cases
        ]
    )
    return key


def test_query_count_is_the_same_for_10_and_1000_use_cases(db):
    counts = {}
    for n in (10, 1000):
        key = _credential_used_by(n)
        responder = person("incident responder")
        with CaptureQueriesContext(connection) as queries:
            answer = ask(responder, "credential", key.pk, depth=3)
        assert len(answer.direct) == n and len(answer.downstream) == n
        assert all(row.last_changed_by == "Owner" for row in answer.direct)
        counts[n] = len(queries)
    assert counts[10] == counts[1000]
    assert counts[1000] <= 16


def test_suggestions_are_grouped_by_kind_and_restricted(graph):
    responder = person("incident responder")
    groups = dict(who_built_what_suggestions(user=responder, text="hubspot"))
    assert [s.label for s in groups["Credentials"]] == ["HubSpot private app key"]
    assert [s.label for s in groups["Vendors and models"]] == ["HubSpot", "HubSpot Breeze AI"]
    assert groups["Credentials"][0].params == f"credential={graph['key'].pk}"

    # Another team's draft is offered to a responder, not to staff.
    assert [
        s.label for s in dict(who_built_what_suggestions(user=responder, text="tool h"))["Use cases"]
    ] == ["Tool H"]
    assert "Use cases" not in dict(who_built_what_suggestions(user=person("staff"), text="tool h"))
    assert "Credentials" not in dict(who_built_what_suggestions(user=person("staff"), text="hubspot"))
    assert who_built_what_suggestions(user=responder, text="h") == []


def test_architecture_up_and_downstream(graph):
    uc = graph["uc"]
    architecture = use_case_architecture(user=person("incident responder"), use_case=uc["D"], depth=2)

    # D feeds A and E; A feeds C (which is also upstream of D: a cycle), E feeds C and F.
    assert [(link.name, link.depth) for link in architecture.downstream] == [
        ("Tool A", 1),
        ("Tool E", 1),
        ("Tool C", 2),
        ("Tool F", 2),
    ]
    assert [(link.name, link.depth) for link in architecture.upstream] == [
        ("Tool C", 1),
        ("Tool A", 2),
        ("Tool B", 2),
        ("Tool E", 2),
    ]
    assert [step.name for step in architecture.downstream[3].path] == ["Tool D", "Tool E", "Tool F"]
    assert architecture.more_downstream is True  # F → G


def test_team_connections_picture(graph):
    picture = team_connections_map(user=person("incident responder"), team=graph["marketing"])

    names = {node.name for node in picture.nodes}
    assert names == {
        "Tool A",
        "Tool B",
        "Tool C",
        "Tool D",
        "Tool E",
    }  # Marketing's A, C and their neighbours
    own = {node.name for node in picture.nodes if node.own}
    assert own == {"Tool A", "Tool C"}
    assert {(e.source.name, e.target.name) for e in picture.edges} == {
        ("Tool A", "Tool C"),
        ("Tool B", "Tool C"),
        ("Tool C", "Tool D"),
        ("Tool D", "Tool A"),
        ("Tool E", "Tool C"),
    }
    assert all(edge.d.startswith("M ") for edge in picture.edges)
    assert picture.width > 0 and picture.height > 0
    # No two boxes overlap.
    assert len({(node.x, node.y) for node in picture.nodes}) == len(picture.nodes)
