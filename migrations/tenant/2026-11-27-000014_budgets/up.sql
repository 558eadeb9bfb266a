-- Participatory budgets (issue 7): a `budgets` component holds one or several budgets
-- (one per district, say), each with its projects, its voting rule and the rule that
-- turns ballots into funded projects. People vote with a ballot per budget; a ballot
-- never names its voter.

-- A budget. `title` and `description` are per locale ({"fr": ..., "en": ...}).
-- Money is an integer number of 10^-money_scale currency units (cents for scale 2,
-- whole units for scale 0, as a PaBuLib file without decimals), at most 2^53 so
-- that every sum stays exact for the rules.
-- Voting rule (`rule`):
--   knapsack: the ballot's total cost is at most `amount`; at least `min_projects`,
--             at most `max_projects` projects (0: no maximum); at least
--             `min_share_percent` % of the budget spent;
--   approval: at most `max_projects` (K ≥ 1) projects, whatever they cost.
-- `results_rule`: greedy (by votes), coverage (maximal coverage) or equal_shares (the
-- method of equal shares with add1 then greedy completion, `mes_utility` cost or
-- approval, each voter's share growing by `add1_increment` units per step, 0: chosen
-- from the budget and the number of voters).
CREATE TABLE budgets (
    id bigserial PRIMARY KEY,
    component_id bigint NOT NULL REFERENCES components (id) ON DELETE CASCADE,
    title jsonb NOT NULL,
    description jsonb NOT NULL DEFAULT '{}',
    amount bigint NOT NULL CHECK (amount BETWEEN 1 AND 9007199254740992),
    currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    money_scale smallint NOT NULL DEFAULT 2 CHECK (money_scale BETWEEN 0 AND 4),
    rule text NOT NULL DEFAULT 'knapsack' CHECK (rule IN ('knapsack', 'approval')),
    min_projects integer NOT NULL DEFAULT 0 CHECK (min_projects BETWEEN 0 AND 10000),
    max_projects integer NOT NULL DEFAULT 0 CHECK (max_projects BETWEEN 0 AND 10000),
    min_share_percent smallint NOT NULL DEFAULT 0 CHECK (min_share_percent BETWEEN 0 AND 100),
    results_rule text NOT NULL DEFAULT 'equal_shares' CHECK (results_rule IN ('greedy', 'coverage', 'equal_shares')),
    mes_utility text NOT NULL DEFAULT 'cost' CHECK (mes_utility IN ('cost', 'approval')),
    add1_increment bigint NOT NULL DEFAULT 0 CHECK (add1_increment BETWEEN 0 AND 9007199254740992),
    position integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK (rule = 'knapsack' OR (max_projects >= 1 AND min_share_percent = 0)),
    CHECK (max_projects = 0 OR max_projects >= min_projects)
);
CREATE INDEX budgets_component ON budgets (component_id, position, id);

-- A project of a budget. `description` is sanitised rich text; `pb_id` is its id in
-- PaBuLib files (kept from an imported file, else a number), unique in the budget.
CREATE TABLE budget_projects (
    id bigserial PRIMARY KEY,
    budget_id bigint NOT NULL REFERENCES budgets (id) ON DELETE CASCADE,
    pb_id text NOT NULL CHECK (length(pb_id) BETWEEN 1 AND 100),
    title text NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
    description text NOT NULL DEFAULT '' CHECK (length(description) <= 40000),
    amount bigint NOT NULL CHECK (amount BETWEEN 0 AND 9007199254740992),
    category text NOT NULL DEFAULT '' CHECK (length(category) <= 200),
    address text NOT NULL DEFAULT '' CHECK (length(address) <= 300),
    image_key text,
    image_alt text NOT NULL DEFAULT '' CHECK (length(image_alt) <= 300),
    position integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (budget_id, pb_id),
    -- For the selections' foreign key, which ties a project to its budget.
    UNIQUE (id, budget_id)
);
CREATE INDEX budget_projects_budget ON budget_projects (budget_id, position, id);

-- A ballot: one per person and budget. `voter` is an HMAC under the tenant's key of
-- the account id, with the component in the purpose (`budget-component:<id>`), or of
-- an imported file's voter id (`budget-import:<budget id>`): it recognises the same
-- person within one component and says nothing else. No foreign key to users, no
-- time of day (`confirmed_on` is a date), and a random id, so neither the id nor the
-- order of ids lines ballots up with the moment people voted.
-- `exclusive`: the component's "one district only" rule when the ballot was
-- confirmed; the partial unique index then refuses a second confirmed ballot of the
-- same person in another budget of the component.
CREATE TABLE budget_ballots (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    budget_id bigint NOT NULL REFERENCES budgets (id) ON DELETE CASCADE,
    component_id bigint NOT NULL REFERENCES components (id) ON DELETE CASCADE,
    voter text NOT NULL CHECK (voter ~ '^[0-9a-f]{64}$'),
    exclusive boolean NOT NULL DEFAULT false,
    state text NOT NULL DEFAULT 'draft' CHECK (state IN ('draft', 'confirmed')),
    confirmed_on date,
    imported boolean NOT NULL DEFAULT false,
    CHECK ((state = 'confirmed') = (confirmed_on IS NOT NULL)),
    CHECK (NOT imported OR state = 'confirmed'),
    UNIQUE (budget_id, voter),
    UNIQUE (id, budget_id)
);
CREATE UNIQUE INDEX budget_ballots_one_district ON budget_ballots (component_id, voter)
    WHERE exclusive AND state = 'confirmed';
CREATE INDEX budget_ballots_component_voter ON budget_ballots (component_id, voter);

-- The projects a ballot approves; both foreign keys carry the budget, so a ballot can
-- only approve projects of its own budget.
CREATE TABLE budget_ballot_projects (
    ballot_id uuid NOT NULL,
    budget_id bigint NOT NULL,
    project_id bigint NOT NULL,
    PRIMARY KEY (ballot_id, project_id),
    FOREIGN KEY (ballot_id, budget_id) REFERENCES budget_ballots (id, budget_id) ON DELETE CASCADE,
    FOREIGN KEY (project_id, budget_id) REFERENCES budget_projects (id, budget_id) ON DELETE CASCADE
);
CREATE INDEX budget_ballot_projects_project ON budget_ballot_projects (project_id);
