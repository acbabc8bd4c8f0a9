"""marsad (مرصد, "observatory"): find, explain, link and help remove online content that
facilitates migrant smuggling, document fraud, human trafficking, child exploitation and
terrorism. Arabic first."""
__version__ = "0.1.0"
