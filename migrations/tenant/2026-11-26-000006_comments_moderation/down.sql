DROP TABLE moderations;
DROP TABLE reports;
DROP TABLE comment_votes;
DROP TABLE comments;
