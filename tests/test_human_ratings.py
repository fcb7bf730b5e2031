"""Human evaluation's ratings: Bradley-Terry fits recover known strengths, and the intervals
(over questions when votes name them) call two models apart only when the votes do."""

import math
import random

import pytest

from tunelab.evaluate.human.ratings import bradley_terry, elo, leaderboard


def simulated_votes(true: dict[str, float], n: int, seed: int = 1):
    rng = random.Random(seed)
    votes = []
    for _ in range(n):
        a, b = rng.sample(sorted(true), 2)
        p = 1 / (1 + 10 ** ((true[b] - true[a]) / 400))
        votes.append((a, b, 1.0 if rng.random() < p else 0.0))
    return votes


def test_bradley_terry_recovers_the_rating_gaps_of_simulated_judges():
    votes = simulated_votes({"strong": 1200, "mid": 1000, "weak": 900}, 4000)
    bt = bradley_terry(votes)
    assert bt["strong"] - bt["mid"] == pytest.approx(200, abs=30)
    assert bt["mid"] - bt["weak"] == pytest.approx(100, abs=30)
    board = leaderboard(votes, rounds=30)
    assert [r.model for r in board] == ["strong", "mid", "weak"]
    assert all(r.low <= r.bt <= r.high for r in board)
    assert sorted(elo(votes), key=elo(votes).get) == ["weak", "mid", "strong"]


def test_neighbours_whose_gap_could_be_zero_are_no_clear_winner():
    votes = simulated_votes({"strong": 1300, "mid": 1000, "twin": 1000}, 600)
    board = leaderboard(votes, rounds=100)
    assert board[0].model == "strong" and board[0].vs_next == f"ahead of {board[1].model}"
    assert board[1].vs_next == f"no clear winner vs {board[2].model}"
    assert board[2].vs_next == ""
    # Five votes, all won, are too few to call a winner.
    few = leaderboard([("a", "b", 1.0)] * 5, rounds=50)
    assert few[0].vs_next == "no clear winner vs b"


def test_no_clear_winner_says_why_where_the_gap_s_interval_alone_is_above_zero():
    # "no clear winner" beside two intervals that do not overlap read as a mistake.
    eight = leaderboard([("a", "b", 1.0)] * 8, questions=[f"q{i}" for i in range(8)])
    assert eight[0].low > eight[1].high
    assert eight[0].vs_next == "no clear winner vs b (8 questions, under 10)"
    # 8 of 10 questions won: the sign-flip test (p = 0.11) does not agree with the interval.
    votes = [("a", "b", 1.0)] * 8 + [("a", "b", 0.0)] * 2
    ten = leaderboard(votes, questions=[f"q{i}" for i in range(10)])
    assert ten[0].vs_next == "no clear winner vs b (sign-flip test p = 0.11)"


def boards_of(true: dict[str, float], questions: int, boards: int):
    """Leaderboards of `boards` simulated judgings, one vote on each of `questions` questions."""
    rng = random.Random(7)
    for seed in range(boards):
        votes = simulated_votes(true, questions, seed=rng.random())
        yield leaderboard(votes, rounds=20, seed=seed, questions=list(range(questions)))


def test_equal_models_are_called_apart_at_most_5_percent_of_the_time_at_10_questions():
    # The percentile interval of the gap alone called two equal models apart on 10 questions 7-9%
    # of the time; the sign-flip test asks 9 of 10 votes one way (p = 0.021), not 8 (p = 0.11).
    twins = boards_of({"a": 1000, "b": 1000}, 10, 200)
    called = sum(board[0].vs_next.startswith("ahead") for board in twins)
    assert called / 200 <= 0.05


def test_a_clearly_stronger_model_is_still_called_ahead():
    # 300 points: 85 votes in 100 won; on 20 questions the sign-flip test needs 15 of them.
    stronger = boards_of({"strong": 1300, "weak": 1000}, 20, 40)
    called = [board[0].vs_next == "ahead of weak" for board in stronger]
    assert sum(called) / 40 >= 0.8


def test_the_interval_is_over_questions_when_votes_name_them():
    # 20 questions, each judged 8 times, the judges agreeing on each: 13 questions favour a, 7
    # favour b. Drawn vote by vote, 160 votes at 65% look decisive; they are 20 questions' worth.
    votes, questions = [], []
    for q in range(20):
        votes += [("a", "b", 1.0 if q < 13 else 0.0)] * 8
        questions += [f"q{q}"] * 8
    by_vote = leaderboard(votes, rounds=300)
    by_question = leaderboard(votes, rounds=300, questions=questions)
    assert by_vote[0].vs_next == "ahead of b"
    assert by_question[0].vs_next == "no clear winner vs b"
    assert [r.bt for r in by_question] == [r.bt for r in by_vote]  # the same fit
    width = {r.model: r.high - r.low for r in by_vote}
    assert all(r.high - r.low > 2 * width[r.model] for r in by_question)
    assert by_question[0].questions == 20 and by_question[0].votes == 160
    with pytest.raises(ValueError, match="3 questions for 160 votes"):
        leaderboard(votes, questions=["q0", "q1", "q2"])


def test_ties_split_and_a_model_that_never_wins_still_gets_a_finite_rating():
    assert bradley_terry([("a", "b", 0.5)] * 10) == pytest.approx({"a": 1000, "b": 1000})
    ratings = bradley_terry([("a", "b", 1.0)] * 5)
    assert ratings["a"] > ratings["b"] and all(abs(v) < 1e4 for v in ratings.values())


def test_bootstrap_fits_converge_so_intervals_are_not_pulled_to_1000():
    # Eight models that only ever met their neighbours: MM needs ~100 steps here, and bootstrap
    # fits stopped after 50 sat up to 40 points nearer 1000 than the MLE, skewing every interval.
    rng = random.Random(3)
    votes = []
    for _ in range(800):
        i = rng.randrange(7)
        p = 1 / (1 + 10 ** (-150 / 400))
        votes.append((f"m{i + 1}", f"m{i}", 1.0 if rng.random() < p else 0.0))
    bt = bradley_terry(votes)
    assert bradley_terry(votes, iterations=1_000, tolerance=0) == pytest.approx(bt, abs=0.01)
    for rating in leaderboard(votes, rounds=100):
        centre = (rating.low + rating.high) / 2
        assert abs(centre - rating.bt) < 0.25 * (rating.high - rating.low), rating


def test_a_model_left_out_of_a_bootstrap_round_is_not_rated_1000_in_it():
    rng = random.Random(0)
    votes = [("a", "b", 1.0 if rng.random() < 0.8 else 0.0) for _ in range(97)]
    votes += [("c", "b", 1.0), ("c", "a", 1.0), ("c", "b", 1.0)]  # a newcomer, 3 votes
    board = {r.model: r for r in leaderboard(votes)}
    # ~5% of rounds draw none of c's votes: they had set c's low end at exactly 1000 (its point
    # is 1244), and shifted a and b, centred on 1000 without c, by ~100 points. c's three wins,
    # redrawn from the fit's chances, swing c's rating widely: a centre taken as the plain mean
    # of the three models passed that swing on to a and b (230 points wide); weighed by votes,
    # it does not.
    assert board["c"].low <= board["c"].bt <= board["c"].high
    assert board["c"].high - board["c"].low > 300  # three votes do not settle a rating
    assert board["a"].high - board["a"].low < 150 and board["b"].high - board["b"].low < 150


def test_a_model_that_won_every_vote_gets_an_interval_not_a_point():
    # Resampling a 10-of-10 record only repeats it: every round gave the same rating, and the
    # table showed 1290 [1290, 1290] as though ten votes had settled it.
    board = leaderboard([("a", "b", 1.0)] * 10, rounds=200)
    a, b = board
    assert a.low < a.bt - 100 and b.high > b.bt + 100
    assert a.low <= a.bt <= a.high and b.low <= b.bt <= b.high
    # Ten votes all one way are still enough to call the winner (the sign test's p is 0.002).
    assert a.vs_next == "ahead of b"


def test_a_one_way_record_leaves_room_on_both_sides_of_the_estimate():
    # Every round drew the pair's votes at the fit's chance, and no record beats 10 of 10: the
    # winner's interval stopped at its estimate, 1290 [1112, 1290], as though the gap could not
    # be larger than 10 votes read it. With three models, where the winner's gaps rest on such
    # records alone, it sat 18-36 points above against 200-280 below.
    two = leaderboard([("a", "b", 1.0)] * 10, rounds=200)
    sweep = [("a", "b", 1.0)] * 10 + [("a", "c", 1.0)] * 10
    sweep += [("b", "c", 1.0)] * 5 + [("b", "c", 0.0)] * 5
    chain = [("a", "b", 1.0)] * 10 + [("b", "c", 1.0)] * 10
    for board in (two, leaderboard(sweep, rounds=200), leaderboard(chain, rounds=200)):
        best, worst = board[0], board[-1]
        assert best.model == "a" and best.high > best.bt + 150 and best.low < best.bt - 150
        assert worst.low < worst.bt - 150 and worst.high > worst.bt + 100
        assert all(math.isfinite(v) for r in board for v in (r.low, r.high))
    # Ten votes all one way still name the winner, and a chain of them each link.
    assert two[0].vs_next == "ahead of b"
    assert [r.vs_next for r in leaderboard(chain, rounds=200)] == ["ahead of b", "ahead of c", ""]


def test_pairs_whose_every_vote_was_a_tie_get_an_interval_not_a_point():
    # Resampling 12 ties only repeated them: 1000 (1000–1000), as though 12 votes settled it
    # (a judge that always says [[C]], or contradicts itself in every pair, gives the same).
    for votes, questions in (([("a", "b", 0.5)] * 12, None), ([("a", "b", 0.5)] * 3, ["q"] * 3)):
        a, b = leaderboard(votes, rounds=200, questions=questions)
        assert a.bt == b.bt == 1000
        assert a.low < 1000 - 30 and a.high > 1000 + 30 and b.low < 1000 - 30
        assert a.vs_next == "no clear winner vs b"


def test_the_virtual_tie_pulls_a_small_sample_s_gap_toward_zero_and_fades_with_votes():
    # As the README says: a weak prior on every model, not only an unbeaten one.
    import math

    mle = 400 * math.log10(7 / 3)  # the plain maximum likelihood of 7 wins in 10
    for n, low, high in ((10, 138, 140), (1000, mle - 0.5, mle)):
        votes = [("a", "b", 1.0)] * (7 * n // 10) + [("a", "b", 0.0)] * (3 * n // 10)
        rating = bradley_terry(votes)
        assert low <= rating["a"] - rating["b"] <= high


def test_bradley_terry_is_the_maximum_of_its_likelihood_with_uneven_votes():
    # MM re-centred at every step against the virtual ties' fixed model settled 0.8-4 points off
    # this maximum when models had uneven numbers of votes (a newcomer, a pair rarely drawn).
    import math

    import numpy as np
    from scipy.optimize import minimize

    rng = random.Random(1)
    strength = {"a": 1.0, "b": 0.0, "c": -1.5, "d": 0.5}
    votes = []
    for _ in range(60):
        a, b = rng.sample(sorted(strength), 2)
        if "d" in (a, b) and rng.random() < 0.8:
            continue
        p = 1 / (1 + math.exp(strength[b] - strength[a]))
        votes.append((a, b, rng.choice([0.5, float(rng.random() < p)])))
    models = sorted(strength)

    def minus_log_likelihood(x):
        at = dict(zip(models, x))
        found = sum(
            s * -np.logaddexp(0, at[b] - at[a]) + (1 - s) * -np.logaddexp(0, at[a] - at[b])
            for a, b, s in votes
        )
        return -(found - 0.5 * sum(np.logaddexp(0, -t) + np.logaddexp(0, t) for t in x))

    best = minimize(minus_log_likelihood, np.zeros(len(models)), method="BFGS", tol=1e-12).x
    best -= best.mean()
    expected = {m: 1000 + 400 * t / math.log(10) for m, t in zip(models, best)}
    assert bradley_terry(votes) == pytest.approx(expected, abs=0.01)


def test_rephrasings_of_one_fact_are_drawn_together_and_counted_as_facts():
    # `tunelab data augment` asks each fact several ways, mostly won or lost together: 10 facts
    # asked 3 ways, a winning 7 facts, read as 30 questions made the interval half as wide.
    questions = [f"fact {f}, way {w}" for f in range(10) for w in range(3)]
    facts = [f"fact {f}" for f in range(10) for _ in range(3)]
    votes = [("a", "b", 1.0 if f < 7 else 0.0) for f in range(10) for _ in range(3)]
    by_question = leaderboard(votes, questions=questions)
    by_fact = leaderboard(votes, questions=questions, facts=facts)
    assert [r.bt for r in by_fact] == [r.bt for r in by_question]  # the same fit
    assert by_fact[0].high - by_fact[0].low > 2 * (by_question[0].high - by_question[0].low)
    assert (by_fact[0].questions, by_fact[0].facts, by_question[0].facts) == (30, 10, None)
    # 12 questions all won are a clear lead; 4 facts asked 3 ways each are too few to call.
    votes, questions, facts = votes[:12], questions[:12], facts[:12]
    assert leaderboard(votes, questions=questions)[0].vs_next == "ahead of b"
    few = leaderboard(votes, questions=questions, facts=facts)
    assert few[0].vs_next == "no clear winner vs b (4 facts, under 10)"
    # Each question a fact of its own: the leaderboard over questions, exactly.
    own = leaderboard(votes, questions=questions, facts=list(range(12)))
    assert own == leaderboard(votes, questions=questions)
    with pytest.raises(ValueError, match="3 facts for 12 votes"):
        leaderboard(votes, questions=questions, facts=facts[:3])
