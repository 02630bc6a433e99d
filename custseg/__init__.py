"""Tooling for the customer-segmentation dbt project."""
