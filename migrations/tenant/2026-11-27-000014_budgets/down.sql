DROP TABLE budget_ballot_projects;
DROP TABLE budget_ballots;
DROP TABLE budget_projects;
DROP TABLE budgets;
