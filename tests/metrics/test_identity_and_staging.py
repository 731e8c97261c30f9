"""Attribution of commits, reviews and PRs (METRICS.md §0 developers and bots, §8.1, §8.2, §8.8).

All commits are in acme/api in the week of 2024-03-04 unless said. Expected owners by hand:

  i1  unlinked ALICE@old.example.com              -> alice   (configured alias)
  m1, m2 linked 'mallory' with alice@old.example.com -> mallory (a linked author always keeps the commit;
                                                      and the alias still wins over them for i1)
  i2  unlinked 12345+Bob@users.noreply.github.com -> bob     (noreply with id)
  i3  unlinked carol@users.noreply.github.com     -> carol   (noreply without id)
  i4  unlinked 7+erin@users.noreply.github.com    -> erin    (noreply wins over dave's alias for that email)
  i5  unlinked Shared@Example.com (03-05)         -> henry   (linked 2x to henry, 1x to ivan, later in time)
  i6  unlinked tie@example.com                    -> yan     (linked 1x to zoe, 1x to yan: tie, smallest login)
  r1  login 'oldname', user id 5 (now 'NewName')  -> newname (the account's current login)
  g1  the 'ghost' placeholder, kim@example.com    -> kim     (deleted account = unlinked; kim's k1 links it)
  n1  no account (user: null), Lee@Example.com    -> lee@example.com
  x1  no account, no email                        -> nobody
  bots: dependabot[bot] (linked), renovate-helper (type Bot), ci-runner (configured), and an unlinked
        49699333+dependabot[bot]@users.noreply.github.com -> not counted, no rows
"""

import pytest

from tests.metrics.builders import (NEXT_WEEK, WEEK, bus_factors, commit, config, developer_ids, group, pr,
                                    repos, review, shared_warehouse, snapshot, user)

CONFIG = config(
    bots=["ci-runner"],
    identities={"alice": ["alice@old.example.com"], "dave": ["7+erin@users.noreply.github.com"]},
)
EXPECTED_COMMITS = {
    "alice": 1, "mallory": 2, "bob": 1, "carol": 1, "erin": 1, "henry": 2 + 1, "ivan": 1, "zoe": 1,
    "yan": 1 + 1, "newname": 1, "kim": 2, "lee@example.com": 1,
}


def unlinked(sha, email, at="2024-03-05 10:00", **kw):
    return commit(sha, None, at, email=email, **kw)


@pytest.fixture(scope="module")
def wh(tmp_path_factory):
    with shared_warehouse(tmp_path_factory, CONFIG) as wh:
        wh.repo("acme/api")
        wh.add("users", [user(5, "NewName"), user(99, "dependabot[bot]", "Bot"), user(77, "renovate-helper", "Bot"),
                         user(10137, "ghost")])
        wh.add("commits", [
            unlinked("i1", "ALICE@old.example.com"),
            commit("m1", "mallory", "2024-03-05 11:00", email="alice@old.example.com"),
            commit("m2", "mallory", "2024-03-05 12:00", email="alice@old.example.com"),
            unlinked("i2", "12345+Bob@users.noreply.github.com"),
            unlinked("i3", "carol@users.noreply.github.com"),
            unlinked("i4", "7+erin@users.noreply.github.com"),
            unlinked("i5", "Shared@Example.com", "2024-03-05 10:00"),
            commit("h1", "henry", "2024-03-08 10:00", email="shared@example.com"),
            commit("h2", "Henry", "2024-03-08 11:00", email="SHARED@example.com"),
            commit("v1", "ivan", "2024-03-08 12:00", email="shared@example.com"),
            unlinked("i6", "tie@example.com"),
            commit("z1", "zoe", "2024-03-06 10:00", email="tie@example.com"),
            commit("y1", "yan", "2024-03-06 11:00", email="tie@example.com"),
            commit("r1", "oldname", "2024-03-06 12:00", user_id=5),
            commit("g1", "ghost", "2024-03-06 13:00", user_id=10137, email="kim@example.com"),
            commit("k1", "kim", "2024-03-06 14:00", email="kim@example.com"),
            commit("n1", None, "2024-03-06 15:00", email="Lee@Example.com"),
            commit("x1", None, "2024-03-06 16:00"),
            commit("b1", "dependabot[bot]", "2024-03-06 10:00", user_id=99, email="support@github.com"),
            commit("b2", "renovate-helper", "2024-03-06 10:00", user_id=77),
            commit("b3", "ci-runner", "2024-03-06 10:00"),
            unlinked("b4", "49699333+dependabot[bot]@users.noreply.github.com"),
        ])
        # a renamed account's PR and review keep the current login; a typed bot's review counts for no one
        wh.add("pull_requests", [pr(1, "oldname", "2024-03-04 00:00", user_id=5), pr(2, "kim", "2024-03-04 00:00")])
        wh.add("reviews", [review(1, 2, "oldname", "APPROVED", "2024-03-05 09:00", user_id=5),
                           review(2, 1, "renovate-helper", "APPROVED", "2024-03-05 09:00", user_id=77),
                           review(3, 1, "ghost", "APPROVED", "2024-03-05 09:00", user_id=10137)])
        wh.build("weekly", WEEK, NEXT_WEEK)
        yield wh


def test_commit_attribution(wh):
    got = {r["developer_id"]: r["commits_count"] for r in wh.rows(
        "select developer_id, commits_count from weekly.developer_snapshot where period_start = ?", [WEEK])}
    assert got == EXPECTED_COMMITS
    # nobody else has a row: not dave (his alias lost to the noreply rule), not oldname, ghost or any bot
    assert developer_ids(wh) == set(EXPECTED_COMMITS)
    assert group(wh, "acme", group_type="workspace")["commits_count"] == sum(EXPECTED_COMMITS.values())


def test_renamed_account_keeps_reviews_and_prs(wh):
    newname = snapshot(wh, "newname")
    # r1, PR 1 and review 1 all belong to the current login
    assert (newname["commits_count"], newname["review_given_count"]) == (1, 1)
    # PR 1's reviews by a typed bot and by the deleted account count for no one
    assert newname["review_received_count"] == 0
    assert snapshot(wh, "kim")["review_received_count"] == 1


def test_same_sha_in_two_repositories(warehouse):
    wh = warehouse(config())
    repos(wh, "zeta/app", "beta/lib", "alpha/lib")
    wh.repo("acme/app-fork", is_fork=True, parent="zeta/app")
    wh.add("commits", [
        # s1: in a repository and its fork -> the non-fork zeta/app, although acme/app-fork sorts first
        commit("s1", "alice", "2024-03-05 10:00", 5, 1, repo="zeta/app"),
        commit("s1", "alice", "2024-03-05 10:00", 5, 1, repo="acme/app-fork"),
        # s2: two non-forks -> the smallest owner/name, alpha/lib
        commit("s2", "alice", "2024-03-05 11:00", 7, 0, repo="beta/lib"),
        commit("s2", "alice", "2024-03-05 11:00", 7, 0, repo="alpha/lib"),
        # s3: only in the fork -> the fork
        commit("s3", "alice", "2024-03-05 12:00", 1, 1, repo="acme/app-fork"),
    ])
    wh.build("weekly", WEEK, NEXT_WEEK)
    alice = snapshot(wh, "alice")
    # each SHA once: 3 commits, lines 5 + 7 + 1 / 1 + 0 + 1; one commit per repository -> focus 1/3
    assert (alice["commits_count"], alice["lines_added"], alice["lines_removed"]) == (3, 13, 2)
    assert alice["focus_score"] == pytest.approx(1 / 3)
    assert bus_factors(wh) == {"zeta/app": (1, 1), "acme/app-fork": (1, 1), "alpha/lib": (1, 1), "beta/lib": (0, 0)}


def test_co_author_emails_resolve_like_authors(warehouse):
    wh = warehouse(config(identities={"dave": ["dave@home.example.com"]}, bots=["ci-runner"]))
    wh.repo("acme/api")
    wh.add("users", [user(77, "renovate-helper", "Bot")])
    trailers = "\n".join(f"Co-authored-by: X <{e}>" for e in [
        "DAVE@home.example.com",           # alias -> dave
        "shared@example.com",              # linked to henry -> henry
        "12+Erin@users.noreply.github.com",  # noreply -> erin
        "nobody@example.com",              # unresolved -> nobody@example.com
        "ci-runner@users.noreply.github.com",  # a configured bot -> left out
        "renovate-helper@users.noreply.github.com",  # a typed bot -> left out
        "a@example.com",                   # alice's own alias via her linked commit -> herself: left out
    ])
    wh.add("commits", [
        commit("c1", "alice", "2024-03-05 10:00", email="a@example.com", message=f"fix: x\n\n{trailers}\n"),
        commit("h1", "henry", "2024-02-01 10:00", email="shared@example.com"),  # links the email (another month)
    ])
    wh.add("pull_requests", [pr(1, "dave", "2024-03-04 00:00"), pr(2, "erin", "2024-03-04 00:00")])
    wh.build("weekly", WEEK, NEXT_WEEK)
    # alice: dave, henry, erin, nobody@example.com -> 4
    assert snapshot(wh, "alice")["unique_collaborators"] == 4
    # symmetric: dave and erin (who have rows through their PRs) gain alice; co-authoring gave them no commit
    assert (snapshot(wh, "dave")["unique_collaborators"], snapshot(wh, "dave")["commits_count"]) == (1, 0)
    assert snapshot(wh, "erin")["unique_collaborators"] == 1
    assert "nobody@example.com" not in developer_ids(wh)   # being a co-author is not activity


def test_most_frequent_login_counts_commits_not_copies(warehouse):
    wh = warehouse(config())
    wh.repo("acme/api")
    wh.repo("acme/api-fork", is_fork=True, parent="acme/api")
    wh.add("commits", [
        # olga's one linked commit o1 is seen in the repository and in its fork: still one commit
        commit("o1", "olga", "2024-02-01 10:00", email="dup@example.com"),
        commit("o1", "olga", "2024-02-01 10:00", email="dup@example.com", repo="acme/api-fork"),
        # pete has two linked commits with the same email
        commit("p1", "pete", "2024-02-02 10:00", email="dup@example.com"),
        commit("p2", "pete", "2024-02-03 10:00", email="dup@example.com"),
        commit("u1", None, "2024-03-05 10:00", email="dup@example.com"),
    ])
    wh.build("weekly", WEEK, NEXT_WEEK)
    # pete 2 commits > olga 1 commit -> u1 belongs to pete (counting rows would tie 2-2 and pick olga)
    assert developer_ids(wh) == {"pete"}
    assert snapshot(wh, "pete")["commits_count"] == 1
